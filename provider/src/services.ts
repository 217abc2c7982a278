import type { Environment } from './config.js';
import { createHealthCheck, type HealthProbe } from './health.js';
import { providerDomain } from '@cove/sdk';
import { createJobAccessVerifier } from './auth/verify.js';
import type { Store } from './db/store.js';
import type { ProviderServices } from './http/app.js';
import { createRateLimiter } from './http/middleware.js';
import type { InfoView } from './http/schemas.js';
import type { ChainPort, CryptoPort, DocumentsPort, EnginePort, StoragePort } from './ports.js';
import { pinContent, pinStoredLimit } from './usecases/pinContent.js';
import { getJobLogs, getJobResult, getJobStatus, authorizeJobAccess } from './usecases/jobQueries.js';
import type { JobWorker } from './usecases/jobWorker.js';
import { requestDownload } from './usecases/requestDownload.js';
import { startCompute } from './usecases/startCompute.js';
import { inspectOutputs, listPendingReleases, rejectOutputs, releaseOutputs } from './usecases/review.js';

export type ServicesParameters = {
  store: Store;
  worker: Pick<JobWorker, 'hasRoom' | 'enqueue' | 'stop' | 'stats' | 'heldBundle' | 'release' | 'reject'>;
  chain: ChainPort;
  documents: DocumentsPort;
  crypto: CryptoPort;
  storage: Pick<StoragePort, 'cat' | 'stat' | 'fetch' | 'pin' | 'dial' | 'add' | 'block'>;
  engine: Pick<EnginePort, 'resolveImage'>;
  providerAddress: string;
  x25519PublicKey: string;
  /** Multiaddrs of the provider's IPFS node, advertised in `/info`. */
  ipfsAddresses?: string[];
  contracts: InfoView['contracts'];
  environments: Environment[];
  limits: { bodyBytes: number; inlineCodeBytes: number; maxSignatureTtlSeconds: number; queueMax: number; concurrency: number; pinMaxBytes: number };
  /** Token bucket per verified signer (compute, download, pin); none when absent. */
  signerRateLimit?: { ratePerSecond: number; burst: number };
  /** Let `POST /v1/pin` dial loopback and private addresses (devnets, tests). */
  pinAllowPrivateAddresses?: boolean;
  /** Longest stall of a pin (`COVE_PIN_IDLE_TIMEOUT_MS`); default PIN_IDLE_TIMEOUT_MS. */
  pinIdleTimeoutMs?: number;
  /** How long admission may take to fetch a bundle given by CID. */
  codeFetchTimeoutMs?: number;
  /** The OCI runtime the engine runs jobs under (decided by its probe at start); `runc` when not given. */
  runtime?: 'runc' | 'runsc';
  /** The dependencies `/v1/health` probes (chain, ipfs, docker); none when absent. */
  healthProbes?: Record<string, HealthProbe>;
  clock?: () => number;
};

/**
 * Binds the use cases to their adapters: the one object the HTTP layer talks to.
 * Resolves the environments' image IDs once, for `/info`.
 * @example
 * const app = createProviderApp({ services: await createServices(params), logger, limits });
 */
export async function createServices(p: ServicesParameters): Promise<ProviderServices> {
  const domain = providerDomain({ chainId: p.chain.chainId, provider: p.providerAddress });
  const clock = p.clock ?? Date.now;
  const verifyAccess = createJobAccessVerifier({ domain, maxTtlSeconds: p.limits.maxSignatureTtlSeconds, clock });
  const queryDeps = { store: p.store, verifyAccess };
  const signerLimiter = p.signerRateLimit ? createRateLimiter({ ratePerSecond: p.signerRateLimit.ratePerSecond, burst: p.signerRateLimit.burst, clock }) : undefined;
  const admitSigner = signerLimiter ? (signer: string) => signerLimiter.admitSigner(signer) : undefined;
  const common = {
    chain: p.chain,
    documents: p.documents,
    crypto: p.crypto,
    store: p.store,
    providerAddress: p.providerAddress,
    dataNft: p.contracts.dataNft,
    domain,
    maxTtlSeconds: p.limits.maxSignatureTtlSeconds,
    clock,
    ...(admitSigner ? { admitSigner } : {}),
  };
  const reviewDeps = { store: p.store, chain: p.chain, storage: p.storage, crypto: p.crypto, worker: p.worker, domain, maxTtlSeconds: p.limits.maxSignatureTtlSeconds, clock };
  const environments = await Promise.all(
    p.environments.map(async (e) => ({
      ...e,
      images: await Promise.all(e.images.map(async (ref) => ({ ref, id: (await p.engine.resolveImage(ref)) ?? null }))),
    })),
  );
  const info: InfoView = {
    address: p.providerAddress,
    chainId: String(p.chain.chainId),
    contracts: p.contracts,
    x25519PublicKey: p.x25519PublicKey,
    ipfs: p.ipfsAddresses ?? [],
    eip712Domain: { name: String(domain.name), version: String(domain.version), chainId: String(p.chain.chainId), verifyingContract: p.providerAddress },
    environments,
    runtime: p.runtime ?? 'runc',
    limits: { ...p.limits, pinMaxStoredBytes: pinStoredLimit(p.limits.pinMaxBytes) },
  };
  return {
    info: () => info,
    rawBlock: (cid) => p.storage.block(cid),
    health: createHealthCheck({ probes: p.healthProbes ?? {}, jobs: () => p.worker.stats() }),
    lastNonce: (address) => p.store.lastNonce(address),
    startCompute: (params) =>
      startCompute(
        { ...common, engine: p.engine, storage: p.storage, queue: p.worker, environments: p.environments, inlineCodeMaxBytes: p.limits.inlineCodeBytes, codeMaxBytes: maxCodeBytes(p.limits.inlineCodeBytes), runtime: p.runtime ?? 'runc', ...(p.codeFetchTimeoutMs !== undefined && { codeFetchTimeoutMs: p.codeFetchTimeoutMs }) },
        params,
      ),
    requestDownload: (params) => requestDownload({ ...common, crypto: p.crypto }, params),
    pin: (params) =>
      pinContent(
        { store: p.store, storage: p.storage, domain, maxTtlSeconds: p.limits.maxSignatureTtlSeconds, maxBytes: p.limits.pinMaxBytes, allowPrivateAddresses: p.pinAllowPrivateAddresses ?? false, clock, ...(p.pinIdleTimeoutMs !== undefined ? { idleTimeoutMs: p.pinIdleTimeoutMs } : {}), ...(admitSigner ? { admitSigner } : {}) },
        params,
      ),
    jobStatus: (access) => getJobStatus(queryDeps, access),
    jobLogs: (access) => getJobLogs(queryDeps, access),
    jobResult: (access) => getJobResult(queryDeps, access),
    async stopJob(access) {
      const job = authorizeJobAccess(queryDeps, { ...access, action: 'stop' });
      return { jobId: job.jobId, status: await p.worker.stop(job.jobId) };
    },
    review: {
      list: (params) => listPendingReleases(reviewDeps, params),
      inspect: (params) => inspectOutputs(reviewDeps, params),
      release: (params) => releaseOutputs(reviewDeps, params),
      reject: (params) => rejectOutputs(reviewDeps, params),
    },
  };
}

/** The largest algorithm bundle a job may bring (inline or by CID): 16 MiB, or the inline limit when higher. */
export function maxCodeBytes(inlineCodeBytes: number): number {
  return Math.max(inlineCodeBytes, 16 * 1024 * 1024);
}
