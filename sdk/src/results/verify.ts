import { listingHash, sameHash } from '../actions/audit/hashes.js';
import { ActionError } from '../actions/errors.js';
import type { ExtractedFile } from './bundle.js';

export type ResultManifestInput = { files: { path: string; size: number; sha256: string }[]; outputsHash: string };
export type OnChainResult = { outputsHash: string; resultCid: string; status: number };

/**
 * Checks unpacked result files against the provider's manifest and the on-chain receipt:
 * every file (no more, no fewer) with its size and sha256 as listed, the manifest's
 * `outputsHash` equal to the listing hash of the files, and both equal to the receipt's
 * `outputsHash`, which must be a succeeded job's naming the same result CID. Any
 * difference is `RESULT_MISMATCH` with what differed in `details`.
 *
 * @example
 * checkResultFiles({ extracted, manifest, receipt, resultCid });
 */
export function checkResultFiles(params: { extracted: ExtractedFile[]; manifest: ResultManifestInput; receipt: OnChainResult; resultCid: string }): void {
  const { extracted, manifest, receipt } = params;
  const fail = (message: string, details: Record<string, unknown>) => {
    throw new ActionError('RESULT_MISMATCH', message, { details });
  };
  if (receipt.status !== 0) fail('the on-chain receipt is not of a succeeded job', { status: receipt.status });
  if (receipt.resultCid !== params.resultCid) fail('the result CID differs from the one in the on-chain receipt', { onChain: receipt.resultCid, provider: params.resultCid });
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const got = new Map(extracted.map((f) => [f.path, f]));
  for (const [path, f] of listed) {
    const e = got.get(path);
    if (e === undefined) fail(`result file missing from the bundle: ${path}`, { path });
    else if (e.size !== f.size || !sameHash(e.sha256, f.sha256)) fail(`result file differs from the manifest: ${path}`, { path, expected: f.sha256, actual: e.sha256 });
  }
  for (const path of got.keys()) if (!listed.has(path)) fail(`bundle holds a file the manifest does not list: ${path}`, { path });
  const actual = listingHash(extracted);
  if (!sameHash(actual, manifest.outputsHash)) fail("the manifest's outputsHash does not match its files", { manifest: manifest.outputsHash, actual });
  if (!sameHash(actual, receipt.outputsHash)) fail('the files do not match the outputsHash in the on-chain receipt', { onChain: receipt.outputsHash, actual });
}
