import type { CoveClientBase } from '../client/base.js';
import { decryptStream, type EnvelopeProgress } from '../crypto/envelope.js';
import { openSealedKey } from '../crypto/seal.js';
import { DEFAULT_CAT_TIMEOUT_MS } from '../storage/helia.js';
import type { ResultManifest } from '../provider-api/http.js';
import { writeDirAtomically } from './atomic.js';
import { extractBundle, type ExtractedFile } from './bundle.js';
import { checkResultFiles } from './verify.js';

/** How a result bundle is fetched: where it is, how long and how big it may be. */
export type FetchBundleOptions = {
  /** Directory to create (absent or empty); left untouched on any failure. */
  out: string;
  /** IPFS multiaddrs to dial first. */
  peers: readonly string[];
  /** Idle timeout of the IPFS fetch. */
  timeoutMs?: number;
  /** Largest bundle accepted, default 1 GiB of file content. */
  maxBytes?: number;
  onProgress?: (p: EnvelopeProgress) => void;
  /** The encrypted bundle's size in bytes (its UnixFS root declares it), once known: the total for `ciphertextBytes`. */
  onSize?: (ciphertextBytes: number) => void;
  signal?: AbortSignal;
};

/**
 * Fetches the encrypted result bundle `resultCid` from IPFS, opens `sealedKey` with
 * `secretKey`, decrypts and unpacks it into `out`, and checks every file against `manifest`
 * and `expected` (the on-chain receipt, or what a release would post). Nothing is left in
 * `out` on any failure; the bundle key is zeroed after use.
 *
 * @example
 * const files = await fetchResultBundle(client, { resultCid, sealedKey, secretKey, manifest, expected, out: './results', peers });
 */
export async function fetchResultBundle(
  client: CoveClientBase,
  params: FetchBundleOptions & { resultCid: string; sealedKey: string; secretKey: Uint8Array; manifest: ResultManifest; expected: { outputsHash: string; resultCid: string; status: number } },
): Promise<ExtractedFile[]> {
  const { signal, resultCid, manifest } = params;
  for (const peer of params.peers) await client.storage.dial(peer, signal ? { signal } : {});
  const { key } = openSealedKey({ sealed: params.sealedKey, secretKey: params.secretKey });
  try {
    return await writeDirAtomically(params.out, async (dir) => {
      if (params.onSize !== undefined) {
        // Only for progress: a root that does not come within the idle timeout leaves the total unknown, and cat
        // below reports the fetch's own failure.
        const statSignal = AbortSignal.any([AbortSignal.timeout(params.timeoutMs ?? DEFAULT_CAT_TIMEOUT_MS), ...(signal ? [signal] : [])]);
        const size = await client.storage.stat(resultCid, { signal: statSignal }).catch(() => undefined);
        if (size !== undefined) params.onSize(size.bytes);
      }
      const ciphertext = client.storage.cat(resultCid, { ...(signal ? { signal } : {}), ...(params.timeoutMs !== undefined ? { timeoutMs: params.timeoutMs } : {}) });
      const plaintext = decryptStream(ciphertext, { key, ...(signal ? { signal } : {}), ...(params.onProgress ? { onProgress: params.onProgress } : {}) });
      const extracted = await extractBundle({ source: plaintext, dir, maxBytes: params.maxBytes ?? 1024 ** 3, ...(signal ? { signal } : {}) });
      checkResultFiles({ extracted, manifest, receipt: params.expected, resultCid });
      return extracted;
    });
  } finally {
    key.fill(0);
  }
}
