import { requireX25519, type CoveClientBase } from '../../client/base.js';
import { encodeKey } from '../../crypto/keys.js';
import type { ResultManifest } from '../../provider-api/http.js';
import type { ExtractedFile } from '../../results/bundle.js';
import { fetchResultBundle, type FetchBundleOptions } from '../../results/fetch.js';
import { openReview, type ReviewRef } from './review.js';

export type InspectOutputsParameters = ReviewRef &
  Omit<FetchBundleOptions, 'peers' | 'signal'> & {
    jobId: string;
    /** IPFS multiaddrs to dial first; default the provider's node as its `/v1/info` lists it. */
    peers?: string[];
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
  const { provider, body } = await openReview(client, { ...params, action: 'inspect', ownerX25519: encodeKey(keys.publicKey) });
  const held = await provider.http.reviewInspect(body);
  const { manifest, resultCid } = held;
  // The manifest stands in for the receipt a release would post.
  const expected = { outputsHash: manifest.outputsHash, resultCid, status: 0 };
  const files = await fetchResultBundle(client, { ...params, peers: params.peers ?? provider.info.ipfs, resultCid, sealedKey: held.sealedKey, secretKey: keys.secretKey, manifest, expected });
  return { dir: params.out, files, manifest, logs: held.logs, resultCid };
}
