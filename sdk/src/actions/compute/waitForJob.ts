import type { CoveClientBase } from '../../client/base.js';
import { abortedError } from '../../crypto/errors.js';
import type { JobStatusView } from '../../provider-api/http.js';
import { signJobAccess } from '../../provider-api/http.js';
import { requireSigner } from '../../client/base.js';
import { ActionError } from '../errors.js';
import { AWAITING_RELEASE, isTerminalStatus, openJob, type JobRef } from './job.js';

export type WaitForJobParameters = JobRef & {
  /** Called with every status seen that differs from the previous one. */
  onProgress?: (status: JobStatusView) => void;
  /** Poll interval, default 500 ms. */
  pollMs?: number;
  /** Give up after this long (`TIMEOUT`); default no limit (use `signal`). */
  timeoutMs?: number;
  /** Also wait until the receipt is posted (or failed) on-chain; default true. */
  waitForReceipt?: boolean;
  /**
   * Keep waiting while the job is `awaiting_release` (a dataset's owner reviews its outputs
   * before the buyer gets them); default true. False returns the status `awaiting_release`.
   */
  untilReleased?: boolean;
};

export type WaitForJobReturnType = JobStatusView;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(abortedError(signal))), { once: true });
  });

/**
 * Polls a job until it ends and, by default, until its receipt is settled on-chain; every
 * change of status or receipt state goes to `onProgress`. A job held for its owners' review
 * (`awaiting_release`) is waited through unless `untilReleased: false`. Abort with `signal`.
 *
 * @example
 * const final = await waitForJob(client, { provider: url, jobId, onProgress: (s) => console.log(s.status) });
 */
export async function waitForJob(client: CoveClientBase, params: WaitForJobParameters): Promise<WaitForJobReturnType> {
  const { signal } = params;
  const deadline = params.timeoutMs === undefined ? Infinity : Date.now() + params.timeoutMs;
  const opened = await openJob(client, params, 'read');
  let token = opened.token;
  let last = '';
  for (;;) {
    if (signal?.aborted) throw abortedError(signal);
    // Renew the read token well before it expires.
    if (token.expiry - Date.now() / 1000 < 60) {
      token = await signJobAccess({ signer: requireSigner(client), chainId: client.chainId, provider: opened.provider.address, jobId: params.jobId, action: 'read' });
    }
    const status = await opened.provider.http.jobStatus(params.jobId, token);
    const key = `${status.status}|${status.receipt.state}`;
    if (key !== last) {
      last = key;
      params.onProgress?.(status);
    }
    const settled = params.waitForReceipt === false || status.receipt.state === 'posted' || status.receipt.state === 'failed';
    if (isTerminalStatus(status.status) && settled) return status;
    if (status.status === AWAITING_RELEASE && params.untilReleased === false) return status;
    if (Date.now() > deadline) throw new ActionError('TIMEOUT', `job ${params.jobId} still ${status.status} (receipt ${status.receipt.state})`, { details: { jobId: params.jobId, status: status.status } });
    await sleep(params.pollMs ?? 500, signal);
  }
}
