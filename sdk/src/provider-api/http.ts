import type { Signer } from 'ethers';
import { fromErrorBody, ProviderApiError } from './errors.js';
import { JOB_ACCESS_TYPES, providerDomain, REVIEW_REQUEST_TYPES, type ComputeRequestMessage, type DownloadRequestMessage, type JobAction, type PinRequestMessage, type ReviewAction, type ReviewRequestMessage } from './typedData.js';

/** `GET /v1/info`: who the provider is and what it runs. */
export type ProviderInfo = {
  address: string;
  chainId: string;
  contracts: { dataNft: string; computeReceipts: string; providerRegistry: string };
  x25519PublicKey: string;
  /** Multiaddrs of the provider's IPFS node. */
  ipfs: string[];
  eip712Domain: { name: string; version: string; chainId: string; verifyingContract: string };
  environments: { id: string; cpus: number; memoryBytes: number; timeoutSeconds: number; pidsLimit: number; outputBytes: number; images: { ref: string; id: string | null }[] }[];
  /** The OCI runtime jobs run under (`runsc`: gVisor); absent from older providers. */
  runtime?: 'runc' | 'runsc';
  limits: Record<string, number>;
};

export type JobReceiptState = { state: 'none' | 'pending' | 'posted' | 'failed'; txHash: string | null; error: string | null };

/** `GET /v1/compute/:jobId`. */
export type JobStatusView = {
  jobId: string;
  status: string;
  reason: string | null;
  environment: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** The OCI runtime the job ran under (`runsc`: gVisor); null until it ran, absent from older providers. */
  runtime?: 'runc' | 'runsc' | null;
  transitions: { status: string; reason: string | null; at: number }[];
  resultCid: string | null;
  receipt: JobReceiptState;
};

export type ManifestFile = { path: string; size: number; sha256: string };
export type ResultManifest = { files: ManifestFile[]; outputsHash: string };

/** `GET /v1/compute/:jobId/result`. */
export type JobResultView = {
  jobId: string;
  status: string;
  reason: string | null;
  manifest: ResultManifest | null;
  outputsHash: string | null;
  resultCid: string | null;
  sealedKey: string | null;
  receipt: JobReceiptState;
};

export type DownloadGrant = { assetId: string; encryptedContentCid: string; contentHash: string; sealedKey: string };

/** `POST /v1/review/list`: an owner's jobs awaiting release; `reviewers` are the job's reviewing datasets. */
export type PendingReleasesView = {
  assetId: string;
  jobs: { jobId: string; consumer: string; createdAt: number; finishedAt: number | null; manifest: ResultManifest; reviewers: { assetId: string; released: boolean }[] }[];
};
/** `POST /v1/review/inspect`: the held bundle encrypted to the owner's X25519 key. */
export type InspectView = { jobId: string; manifest: ResultManifest; logs: string | null; resultCid: string; sealedKey: string };
/** `POST /v1/review/release`: `pending` lists reviewing datasets whose owners have not released yet. */
export type ReleaseView = { jobId: string; status: string; pending: string[] };
export type ReviewBody = { request: ReviewRequestMessage; signature: string };

/** A job read or stop token, sent as headers. */
export type JobAccessToken = { expiry: number; signature: string };

/** A streaming pin's progress: bytes stored so far, of the bytes its roots declare. */
export type PinProgressView = { bytes: number; declaredBytes: number };

export type ProviderHttp = {
  url: string;
  info(): Promise<ProviderInfo>;
  lastNonce(address: string): Promise<bigint | undefined>;
  startCompute(body: { request: ComputeRequestMessage; signature: string; algorithmCode?: string }): Promise<{ jobId: string; status: string }>;
  download(body: { request: DownloadRequestMessage; signature: string }): Promise<{ datasets: DownloadGrant[] }>;
  /**
   * Asks for a pin, accepting the provider's progress stream (`application/x-ndjson`), so the
   * deadline is `timeoutMs` without a byte from the provider (it reports every second), not
   * a total one: a large pin that keeps moving never times out here.
   */
  pin(body: { request: PinRequestMessage; signature: string }, options?: { onProgress?: (p: PinProgressView) => void }): Promise<{ pinned: string[] }>;
  jobStatus(jobId: string, token: JobAccessToken): Promise<JobStatusView>;
  jobResult(jobId: string, token: JobAccessToken): Promise<JobResultView>;
  jobLogs(jobId: string, token: JobAccessToken): Promise<{ jobId: string; status: string; logs: string }>;
  stopJob(jobId: string, token: JobAccessToken): Promise<{ jobId: string; status: string }>;
  reviewList(body: ReviewBody): Promise<PendingReleasesView>;
  reviewInspect(body: ReviewBody): Promise<InspectView>;
  reviewRelease(body: ReviewBody): Promise<ReleaseView>;
  reviewReject(body: ReviewBody): Promise<{ jobId: string; status: string }>;
};

export type CreateProviderHttpParameters = {
  /** Base URL, e.g. `http://127.0.0.1:8030` (no `/v1`). */
  url: string;
  /** Per-request deadline, default 30 s; for `pin`, the longest silence of the provider. */
  timeoutMs?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
};

/**
 * A small client of the provider's `/v1` HTTP API. Every failure is a `ProviderApiError`
 * carrying the provider's own code (`ORDER_EXPIRED`, `JOB_NOT_FOUND`…), or
 * `PROVIDER_UNREACHABLE` / `PROVIDER_BAD_RESPONSE` for the transport.
 *
 * @example
 * const http = createProviderHttp({ url: 'http://127.0.0.1:8030' });
 * const { address, x25519PublicKey } = await http.info();
 */
export function createProviderHttp(params: CreateProviderHttpParameters): ProviderHttp {
  const base = params.url.replace(/\/+$/, '');
  const doFetch = params.fetch ?? fetch;
  const timeoutMs = params.timeoutMs ?? 30_000;

  async function call<T>(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
    const signals = [AbortSignal.timeout(timeoutMs), ...(params.signal ? [params.signal] : [])];
    let response: Response;
    try {
      response = await doFetch(`${base}/v1${path}`, {
        method,
        headers: { accept: 'application/json', ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.any(signals),
      });
    } catch (cause) {
      if (params.signal?.aborted) throw cause;
      throw new ProviderApiError('PROVIDER_UNREACHABLE', `${method} ${path}: provider at ${base} unreachable`, { details: { url: base, path }, cause });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (cause) {
      throw new ProviderApiError('PROVIDER_BAD_RESPONSE', `${method} ${path}: answer is not JSON (HTTP ${response.status})`, { details: { status: response.status, path }, cause });
    }
    if (!response.ok) throw fromErrorBody(response.status, body, `${method} ${path}`);
    return body as T;
  }
  /** `POST /v1/pin`, reading a progress stream under an idle deadline (or a plain JSON answer). */
  async function pin(body: unknown, onProgress: ((p: PinProgressView) => void) | undefined): Promise<{ pinned: string[] }> {
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new Error(`no answer for ${timeoutMs} ms`)), timeoutMs);
    };
    const path = '/pin';
    const unreachable = (cause: unknown) => new ProviderApiError('PROVIDER_UNREACHABLE', `POST ${path}: provider at ${base} unreachable${idle.signal.aborted ? ` (silent for ${timeoutMs} ms)` : ''}`, { details: { url: base, path, idleTimeoutMs: timeoutMs }, cause });
    arm();
    try {
      let response: Response;
      try {
        response = await doFetch(`${base}/v1${path}`, {
          method: 'POST',
          headers: { accept: `${PIN_STREAM}, application/json`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: params.signal ? AbortSignal.any([params.signal, idle.signal]) : idle.signal,
        });
      } catch (cause) {
        if (params.signal?.aborted) throw cause;
        throw unreachable(cause);
      }
      if (!(response.headers.get('content-type') ?? '').startsWith(PIN_STREAM) || response.body === null) {
        let answer: unknown;
        try {
          answer = await response.json();
        } catch (cause) {
          if (idle.signal.aborted) throw unreachable(cause);
          throw new ProviderApiError('PROVIDER_BAD_RESPONSE', `POST ${path}: answer is not JSON (HTTP ${response.status})`, { details: { status: response.status, path }, cause });
        }
        if (!response.ok) throw fromErrorBody(response.status, answer, `POST ${path}`);
        return answer as { pinned: string[] };
      }
      let last: unknown;
      try {
        for await (const line of ndjsonLines(response.body, arm)) {
          const m = line as { progress?: PinProgressView; result?: unknown; error?: unknown; status?: number };
          if (m.progress !== undefined) onProgress?.(m.progress);
          else last = m;
        }
      } catch (cause) {
        if (params.signal?.aborted) throw cause;
        if (cause instanceof ProviderApiError) throw cause;
        throw unreachable(cause);
      }
      const end = last as { result?: { pinned: string[] }; error?: unknown; status?: number } | undefined;
      if (end?.result !== undefined) return end.result;
      if (end?.error !== undefined) throw fromErrorBody(typeof end.status === 'number' ? end.status : 500, end, `POST ${path}`);
      throw new ProviderApiError('PROVIDER_BAD_RESPONSE', `POST ${path}: the progress stream ended without a result`, { details: { status: response.status, path } });
    } finally {
      clearTimeout(timer);
    }
  }
  const accessHeaders = (t: JobAccessToken) => ({ 'x-cove-expiry': String(t.expiry), 'x-cove-signature': t.signature });

  return {
    url: base,
    info: () => call('GET', '/info'),
    async lastNonce(address) {
      const r = await call<{ lastNonce: string | null }>('GET', `/nonce/${address}`);
      return r.lastNonce === null ? undefined : BigInt(r.lastNonce);
    },
    startCompute: (body) => call('POST', '/compute', { body }),
    download: (body) => call('POST', '/download', { body }),
    pin: (body, options) => pin(body, options?.onProgress),
    jobStatus: (jobId, t) => call('GET', `/compute/${jobId}`, { headers: accessHeaders(t) }),
    jobResult: (jobId, t) => call('GET', `/compute/${jobId}/result`, { headers: accessHeaders(t) }),
    jobLogs: (jobId, t) => call('GET', `/compute/${jobId}/logs`, { headers: accessHeaders(t) }),
    stopJob: (jobId, t) => call('DELETE', `/compute/${jobId}`, { headers: accessHeaders(t) }),
    reviewList: (body) => call('POST', '/review/list', { body }),
    reviewInspect: (body) => call('POST', '/review/inspect', { body }),
    reviewRelease: (body) => call('POST', '/review/release', { body }),
    reviewReject: (body) => call('POST', '/review/reject', { body }),
  };
}

/** The media type of a pin answer that streams progress lines. */
const PIN_STREAM = 'application/x-ndjson';

/** The JSON values of a newline-delimited stream; `onBytes` is called whenever bytes arrive. */
async function* ndjsonLines(body: ReadableStream<Uint8Array>, onBytes: () => void): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const bytes of body) {
    onBytes();
    buffered += decoder.decode(bytes, { stream: true });
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line === '') continue;
      try {
        yield JSON.parse(line);
      } catch (cause) {
        throw new ProviderApiError('PROVIDER_BAD_RESPONSE', 'POST /pin: a progress line is not JSON', { details: { path: '/pin' }, cause });
      }
    }
  }
}

/**
 * Signs a job read or stop token for `provider` (its address), valid `ttlSeconds`.
 *
 * @example
 * const token = await signJobAccess({ signer, chainId, provider: info.address, jobId, action: 'read' });
 */
export async function signJobAccess(params: { signer: Signer; chainId: bigint; provider: string; jobId: string; action: JobAction; ttlSeconds?: number }): Promise<JobAccessToken> {
  const expiry = Math.floor(Date.now() / 1000) + (params.ttlSeconds ?? 600);
  const signature = await params.signer.signTypedData(providerDomain({ chainId: params.chainId, provider: params.provider }), JOB_ACCESS_TYPES, { jobId: params.jobId, action: params.action, expiry });
  return { expiry, signature };
}

const ZERO32 = '0x' + '0'.repeat(64);

/**
 * Signs an asset owner's review request for `provider`, valid `ttlSeconds`: `jobId` for
 * every action but `list`, `ownerX25519` (0x-hex) for `inspect`.
 *
 * @example
 * const body = await signReviewRequest({ signer, chainId, provider: info.address, assetId: 1n, action: 'list' });
 */
export async function signReviewRequest(params: { signer: Signer; chainId: bigint; provider: string; assetId: bigint; action: ReviewAction; jobId?: string; ownerX25519?: string; ttlSeconds?: number }): Promise<ReviewBody> {
  const request: ReviewRequestMessage = {
    assetId: String(params.assetId),
    action: params.action,
    jobId: params.jobId ?? ZERO32,
    ownerX25519: params.ownerX25519 ?? ZERO32,
    expiry: Math.floor(Date.now() / 1000) + (params.ttlSeconds ?? 600),
  };
  const signature = await params.signer.signTypedData(providerDomain({ chainId: params.chainId, provider: params.provider }), REVIEW_REQUEST_TYPES, request);
  return { request, signature };
}

/**
 * The next request nonce for `address`: above the provider's last seen one and above the
 * clock in milliseconds, so two clients of one account rarely collide.
 */
export async function nextNonce(http: Pick<ProviderHttp, 'lastNonce'>, address: string): Promise<bigint> {
  const last = await http.lastNonce(address);
  const now = BigInt(Date.now());
  return last === undefined || last < now ? now : last + 1n;
}
