import { requireX25519, type CoveClientBase } from '../../client/base.js';
import { encodeKey } from '../../crypto/keys.js';
import { decryptStream, type EnvelopeProgress } from '../../crypto/envelope.js';
import { openSealedKey } from '../../crypto/seal.js';
import type { ResultManifest } from '../../provider-api/http.js';
import { writeDirAtomically } from '../../results/atomic.js';
import { extractBundle, type ExtractedFile } from '../../results/bundle.js';
import { checkResultFiles } from '../../results/verify.js';
import { openReview, type ReviewRef } from './review.js';

export type InspectOutputsParameters = ReviewRef & {
  jobId: string;
  /** Directory to create (absent or empty); left untouched on any failure. */
  out: string;
  /** IPFS multiaddrs to dial first; default the provider's node as its `/v1/info` lists it. */
  peers?: string[];
  /** Idle timeout of the IPFS fetch. */
  timeoutMs?: number;
  /** Largest bundle accepted, default 1 GiB of file content. */
  maxBytes?: number;
  onProgress?: (p: EnvelopeProgress) => void;
};

export type InspectOutputsReturnType = { dir: string; files: ExtractedFile[]; manifest: ResultManifest; logs: string | null; resultCid: string };

/**
 * Fetches the outputs a provider holds for your review: the same bundle the buyer would
 * get on release, encrypted to your X25519 key, decrypted into `out` and checked file by
 * file (size, sha256, no more, no fewer) against the manifest, whose `outputsHash` a
 * release puts on-chain. Also returns the log tail a release would give the buyer. The job
 * stays held. Errors: `NOT_ASSET_OWNER`, `JOB_NOT_AWAITING_RELEASE`, `RESULT_MISMATCH`,
 * `OUTPUT_EXISTS`, envelope codes, `CID_NOT_FOUND`.
 *
 * @example
 * const { files } = await inspectOutputs(client, { provider: url, assetId: 1n, jobId, out: './review' });
 */
export async function inspectOutputs(client: CoveClientBase, params: InspectOutputsParameters): Promise<InspectOutputsReturnType> {
  const keys = requireX25519(client);
  const { signal } = params;
  const { provider, body } = await openReview(client, { ...params, action: 'inspect', ownerX25519: encodeKey(keys.publicKey) });
  const held = await provider.http.reviewInspect(body);
  const { manifest, resultCid } = held;
  // The manifest stands in for the receipt a release would post.
  const expected = { outputsHash: manifest.outputsHash, resultCid, status: 0 };
  for (const peer of params.peers ?? provider.info.ipfs) await client.storage.dial(peer, signal ? { signal } : {});
  const { key } = openSealedKey({ sealed: held.sealedKey, secretKey: keys.secretKey });
  try {
    const files = await writeDirAtomically(params.out, async (dir) => {
      const ciphertext = client.storage.cat(resultCid, { ...(signal ? { signal } : {}), ...(params.timeoutMs !== undefined ? { timeoutMs: params.timeoutMs } : {}) });
      const plaintext = decryptStream(ciphertext, { key, ...(signal ? { signal } : {}), ...(params.onProgress ? { onProgress: params.onProgress } : {}) });
      const extracted = await extractBundle({ source: plaintext, dir, maxBytes: params.maxBytes ?? 1024 ** 3, ...(signal ? { signal } : {}) });
      checkResultFiles({ extracted, manifest, receipt: expected, resultCid });
      return extracted;
    });
    return { dir: params.out, files, manifest, logs: held.logs, resultCid };
  } finally {
    key.fill(0);
  }
}
