import { createReadStream } from 'node:fs';
import type { EnvelopeProgress } from '../../crypto/envelope.js';
import { encryptStream } from '../../crypto/envelope.js';
import { decodeKey, generateContentKey } from '../../crypto/keys.js';
import { sealKey, type KeyBinding } from '../../crypto/seal.js';
import type { EnvelopeParams } from '../../crypto/envelope-format.js';
import type { StorageNode } from '../../storage/helia.js';
import { ActionError } from '../errors.js';

/** Plaintext to publish: a file path or a byte stream (read once, never held whole in memory). */
export type ContentInput = { file: string; source?: undefined } | { source: AsyncIterable<Uint8Array>; file?: undefined };

export type EncryptedContent = {
  encryptedContentCid: string;
  contentHash: `0x${string}`;
  size: number;
  sealedKey: string;
  envelope: EnvelopeParams;
};

/**
 * Streams plaintext through a fresh content key's envelope into storage and seals the key
 * to the provider, bound to the asset's chain, DataNFT and publisher (`cove-seal-v2`): one
 * pass, at most a couple of chunks in memory. The plain key is wiped.
 *
 * @example
 * const content = await encryptToStorage({ storage, input: { file: 'data.csv' }, providerX25519: info.x25519PublicKey, binding: { chainId, dataNft, publisher } });
 */
export async function encryptToStorage(params: {
  storage: Pick<StorageNode, 'add'>;
  input: ContentInput;
  providerX25519: string;
  /** What the sealed key is for: the provider opens it only for an asset minted on `dataNft` by `publisher`. */
  binding: KeyBinding;
  signal?: AbortSignal;
  onProgress?: (p: EnvelopeProgress) => void;
}): Promise<EncryptedContent> {
  const { input } = params;
  if ((input.file === undefined) === (input.source === undefined)) throw new ActionError('INVALID_PARAMS', 'give either file or source');
  const recipient = decodeKey(params.providerX25519);
  const source = input.file !== undefined ? createReadStream(input.file, { highWaterMark: 1024 * 1024 }) : input.source!;
  const key = generateContentKey();
  try {
    const encrypted = encryptStream(source, { key, ...(params.signal ? { signal: params.signal } : {}), ...(params.onProgress ? { onProgress: params.onProgress } : {}) });
    const encryptedContentCid = await params.storage.add(encrypted, params.signal ? { signal: params.signal } : {});
    const result = await encrypted.result;
    return { encryptedContentCid, contentHash: result.contentHash, size: result.plaintextBytes, sealedKey: sealKey({ key, recipientPublicKey: recipient, binding: params.binding }), envelope: result.params };
  } finally {
    key.fill(0);
  }
}
