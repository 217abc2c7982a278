import { DataPlaneError, throwIfAborted } from '../crypto/errors.js';
import type { StorageNode } from '../storage/helia.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import { assetDocumentSchema, type AssetDocument, type AssetDocumentInput } from './schema.js';

/** Largest asset document `loadDocument` reads (a bigger one is rejected, not buffered). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/**
 * Validates `value` as an asset document; `INVALID_DOCUMENT` with the zod issues in
 * `details.issues` otherwise.
 *
 * @example
 * const doc = parseAssetDocument(JSON.parse(text));
 */
export function parseAssetDocument(value: unknown): AssetDocument {
  const parsed = assetDocumentSchema.safeParse(value);
  if (!parsed.success) {
    throw new DataPlaneError('INVALID_DOCUMENT', 'asset document does not match schema version 1', {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message })) },
    });
  }
  return parsed.data;
}

/**
 * The canonical bytes of a (validated) document: what is stored and hashed.
 *
 * @example
 * const bytes = serializeDocument(doc);
 */
export function serializeDocument(doc: AssetDocumentInput): Uint8Array {
  return Buffer.from(canonicalJson(parseAssetDocument(doc)), 'utf8');
}

/**
 * sha256 of the document's canonical bytes, 0x hex: the value anchored in the DataNFT.
 *
 * @example
 * const hash = hashDocument(doc); // same for any key order
 */
export function hashDocument(doc: AssetDocumentInput): `0x${string}` {
  return sha256Hex(serializeDocument(doc));
}

export type StoreDocumentReturnType = { cid: string; hash: `0x${string}`; bytes: number };

/**
 * Validates, canonicalises and adds a document to storage.
 *
 * @example
 * const { cid, hash } = await storeDocument(node, doc);
 */
export async function storeDocument(
  storage: Pick<StorageNode, 'add'>,
  doc: AssetDocumentInput,
  params: { signal?: AbortSignal } = {},
): Promise<StoreDocumentReturnType> {
  const bytes = serializeDocument(doc);
  const cid = await storage.add([bytes], { signal: params.signal });
  return { cid, hash: sha256Hex(bytes), bytes: bytes.byteLength };
}

export type LoadDocumentParameters = {
  /** The sha256 anchored on-chain; `DOCUMENT_HASH_MISMATCH` when the bytes differ. */
  expectedHash?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
};
export type LoadDocumentReturnType = { document: AssetDocument; hash: `0x${string}`; cid: string };

/**
 * Fetches, hashes and validates a document. The bytes must be the canonical form of a
 * valid version-1 document (so `hashDocument(document) === hash`); anything else fails
 * with `INVALID_DOCUMENT` or `DOCUMENT_HASH_MISMATCH`, never with a partly valid document.
 *
 * @example
 * const { document } = await loadDocument(node, cid, { expectedHash: onChainHash, timeoutMs: 10_000 });
 */
export async function loadDocument(
  storage: Pick<StorageNode, 'cat'>,
  cid: string,
  params: LoadDocumentParameters = {},
): Promise<LoadDocumentReturnType> {
  const { expectedHash, timeoutMs, signal } = params;
  throwIfAborted(signal);
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const part of storage.cat(cid, { timeoutMs, signal })) {
    size += part.byteLength;
    if (size > MAX_DOCUMENT_BYTES) {
      throw new DataPlaneError('INVALID_DOCUMENT', `asset document exceeds ${MAX_DOCUMENT_BYTES} bytes`, { details: { cid } });
    }
    parts.push(part);
  }
  const bytes = Buffer.concat(parts);
  const hash = sha256Hex(bytes);
  if (expectedHash !== undefined && expectedHash.toLowerCase() !== hash) {
    throw new DataPlaneError('DOCUMENT_HASH_MISMATCH', 'asset document bytes do not match the expected hash', {
      details: { cid, expected: expectedHash, actual: hash },
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new DataPlaneError('INVALID_DOCUMENT', 'asset document is not UTF-8 JSON', { details: { cid }, cause });
  }
  const document = parseAssetDocument(json);
  if (canonicalJson(document) !== bytes.toString('utf8')) {
    throw new DataPlaneError('INVALID_DOCUMENT', 'asset document is not in canonical form', { details: { cid, issues: [] } });
  }
  return { document, hash, cid };
}
