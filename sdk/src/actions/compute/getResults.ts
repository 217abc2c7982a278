import { getReceipt } from '../audit/getReceipt.js';
import { requireX25519, type CoveClientBase } from '../../client/base.js';
import type { ExtractedFile } from '../../results/bundle.js';
import { fetchResultBundle, type FetchBundleOptions } from '../../results/fetch.js';
import { checkResultFiles } from '../../results/verify.js';
import { ActionError, asAction } from '../errors.js';
import { openJob, type JobRef } from './job.js';

export type GetResultsParameters = JobRef &
  Omit<FetchBundleOptions, 'peers' | 'signal'> & {
    /** IPFS multiaddrs to dial first; default the provider's node as its `/v1/info` lists it. */
    peers?: string[];
  };

export type GetResultsReturnType = { dir: string; files: ExtractedFile[]; outputsHash: string; resultCid: string };

/**
 * Fetches a finished job's results: the encrypted bundle from IPFS by its CID, decrypted
 * with the buyer's X25519 key (the provider sealed the bundle key to it), unpacked, and
 * checked file by file against the manifest and against the `outputsHash` and result CID
 * of the job's ON-CHAIN receipt. On any mismatch nothing is left in `out`.
 *
 * Errors: `JOB_FAILED` (the job did not succeed), `JOB_NOT_FINISHED`, `RECEIPT_NOT_FOUND`,
 * `RESULT_MISMATCH`, `RESULT_BUNDLE_INVALID`, `OUTPUT_EXISTS`, envelope codes, `CID_NOT_FOUND`.
 *
 * @example
 * const { files } = await getResults(client, { provider: url, jobId, out: './results' });
 */
export async function getResults(client: CoveClientBase, params: GetResultsParameters): Promise<GetResultsReturnType> {
  const keys = requireX25519(client);
  const { provider, token } = await openJob(client, params, 'read');
  const result = await provider.http.jobResult(params.jobId, token);
  if (result.status !== 'succeeded' || result.manifest === null || result.resultCid === null || result.sealedKey === null) {
    throw new ActionError('JOB_FAILED', `job ${params.jobId} ended ${result.status}${result.reason ? `: ${result.reason}` : ''}`, { details: { jobId: params.jobId, status: result.status, reason: result.reason } });
  }
  const onChain = await asAction('getResults', () => getReceipt(client, { jobId: params.jobId }));
  if (onChain === undefined) {
    throw new ActionError('RECEIPT_NOT_FOUND', `job ${params.jobId} has no receipt on-chain yet (provider says ${result.receipt.state})`, { details: { jobId: params.jobId, receipt: result.receipt } });
  }
  const receipt = { outputsHash: onChain.outputsHash, resultCid: onChain.resultCid, status: onChain.status };
  const { manifest, resultCid } = result;
  // Refuse before fetching anything when the provider's claims already disagree with the chain.
  checkResultFiles({ extracted: manifest.files.map((f) => ({ ...f })), manifest, receipt, resultCid });

  const files = await fetchResultBundle(client, { ...params, peers: params.peers ?? provider.info.ipfs, resultCid, sealedKey: result.sealedKey, secretKey: keys.secretKey, manifest, expected: receipt });
  return { dir: params.out, files, outputsHash: receipt.outputsHash, resultCid };
}
