import { isCoveError, loadDocument, type AssetDocument, type StorageNode } from '@cove/sdk';
import { ProviderError } from '../errors.js';
import type { AssetView, DocumentsPort } from '../ports.js';

const EXTENSIONS: Record<string, string> = {
  'text/csv': '.csv',
  'application/json': '.json',
  'text/plain': '.txt',
  'application/x-parquet': '.parquet',
  'application/vnd.apache.parquet': '.parquet',
  'application/x-tar': '.tar',
  'application/zip': '.zip',
  'application/x-npy': '.npy',
};

/** The parts of a validated asset document the provider acts upon. */
export function toAssetView(doc: AssetDocument): AssetView {
  const p = doc.computePolicy;
  const logs = p?.outputPolicy.logs;
  return {
    provider: { address: doc.provider.address },
    services: doc.services.map((s) => ({ id: String(s.id), type: s.type, timeoutSeconds: s.timeoutSeconds })),
    compute: p && {
      allowedAlgorithms: (p.allowedAlgorithms ?? []).map((a) => a.hash),
      allowAnyAlgorithm: p.allowAnyAlgorithm === true,
      allowedImages: p.allowedImages ?? [],
      ...(p.requireRuntime !== undefined && { requireRuntime: p.requireRuntime }),
      limits: p.limits,
      output: {
        maxBytes: p.outputPolicy.maxBytes,
        ...(p.outputPolicy.maxReleaseBytes !== undefined && { maxReleaseBytes: p.outputPolicy.maxReleaseBytes }),
        allowedPatterns: p.outputPolicy.allowedPatterns,
        logs: logs === undefined || logs === 'none' ? 'none' : { tail: Number(logs.slice('tail:'.length)) },
        leakGuard: { enabled: p.outputPolicy.leakGuard.enabled, minRunBytes: p.outputPolicy.leakGuard.minRunBytes },
        ...(p.outputPolicy.review === true && { review: true }),
        ...(p.outputPolicy.allowUnsafeFormats === true && { allowUnsafeFormats: true }),
      },
    },
    content: {
      encryptedContentCid: doc.content.encryptedContentCid,
      sealedKey: doc.content.sealedKey,
      contentHash: doc.content.contentHash,
      size: doc.content.size,
      fileName: 'data' + (EXTENSIONS[doc.content.type.toLowerCase()] ?? ''),
    },
  };
}

/**
 * Asset documents from IPFS through the SDK's `loadDocument`, hash-checked against the
 * chain before anything in them is used. Documents are immutable per (CID, hash), so
 * verified ones are cached (bounded).
 * @example
 * const documents = createDocumentsAdapter({ storage: node });
 */
export function createDocumentsAdapter(params: { storage: Pick<StorageNode, 'cat'>; timeoutMs?: number; cacheSize?: number }): DocumentsPort {
  const cache = new Map<string, Promise<AssetView>>();
  const max = params.cacheSize ?? 1000;
  return {
    load({ cid, expectedHash, signal }) {
      const key = `${cid}|${expectedHash.toLowerCase()}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const p = loadDocument(params.storage, cid, { expectedHash, timeoutMs: params.timeoutMs ?? 15_000, ...(signal ? { signal } : {}) }).then(
        ({ document }) => toAssetView(document),
        (err: unknown) => {
          cache.delete(key);
          if (isCoveError(err, 'DOCUMENT_HASH_MISMATCH') || isCoveError(err, 'INVALID_DOCUMENT')) {
            throw new ProviderError('ASSET_DOCUMENT_MISMATCH', 'asset document does not match its on-chain hash or is invalid', { details: { cid }, cause: err });
          }
          if (isCoveError(err, 'CID_NOT_FOUND') || isCoveError(err, 'INVALID_CID')) {
            throw new ProviderError('UNAVAILABLE', 'asset document could not be fetched from IPFS', { details: { cid }, cause: err });
          }
          throw err;
        },
      );
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(key, p);
      return p;
    },
  };
}
