import nacl from 'tweetnacl';
import { CONTENT_KEY_BYTES } from './envelope-format.js';
import { DataPlaneError } from './errors.js';

/** Prefix of an unbound sealed key (keys sealed to buyers: results, download grants). */
export const SEALED_KEY_PREFIX = 'cove-seal-v1:';
/** Prefix of a sealed key bound to one asset's creator (keys in asset documents). */
export const BOUND_SEALED_KEY_PREFIX = 'cove-seal-v2:';
const PK = nacl.box.publicKeyLength;
const NONCE = nacl.box.nonceLength;
const CHAIN_ID_BYTES = 32;
const ADDRESS_BYTES = 20;
const BINDING_BYTES = CHAIN_ID_BYTES + 2 * ADDRESS_BYTES;
const V1_BYTES = PK + NONCE + CONTENT_KEY_BYTES + nacl.box.overheadLength;
const V2_BYTES = V1_BYTES + BINDING_BYTES;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * What a bound sealed key is for: the asset minted on `dataNft` of chain `chainId` by
 * `publisher` (the asset's creator, which a sale of the NFT does not change). Addresses
 * are returned lower-case by {@link openSealedKey}.
 */
export type KeyBinding = { chainId: bigint; dataNft: string; publisher: string };

export type SealKeyParameters = { key: Uint8Array; recipientPublicKey: Uint8Array; binding?: KeyBinding | undefined };
export type OpenSealedKeyParameters = { sealed: string; secretKey: Uint8Array };
/** An opened key; `binding` is present exactly when the key was sealed bound (`cove-seal-v2:`). */
export type OpenedKey = { key: Uint8Array; binding?: KeyBinding };

function bindingBytes(b: KeyBinding): Uint8Array {
  if (typeof b.chainId !== 'bigint' || b.chainId < 0n || b.chainId >= 1n << 256n) throw new DataPlaneError('SEAL_BAD_BINDING', 'binding chainId must be a uint256');
  if (!ADDRESS.test(b.dataNft) || !ADDRESS.test(b.publisher)) throw new DataPlaneError('SEAL_BAD_BINDING', 'binding dataNft and publisher must be 20-byte 0x addresses');
  const out = new Uint8Array(BINDING_BYTES);
  out.set(Buffer.from(b.chainId.toString(16).padStart(64, '0'), 'hex'), 0);
  out.set(Buffer.from(b.dataNft.slice(2), 'hex'), CHAIN_ID_BYTES);
  out.set(Buffer.from(b.publisher.slice(2), 'hex'), CHAIN_ID_BYTES + ADDRESS_BYTES);
  return out;
}

function parseBinding(bytes: Uint8Array): KeyBinding {
  const hex = (from: number, to: number) => Buffer.from(bytes.subarray(from, to)).toString('hex');
  return {
    chainId: BigInt('0x' + hex(0, CHAIN_ID_BYTES)),
    dataNft: '0x' + hex(CHAIN_ID_BYTES, CHAIN_ID_BYTES + ADDRESS_BYTES),
    publisher: '0x' + hex(CHAIN_ID_BYTES + ADDRESS_BYTES, BINDING_BYTES),
  };
}

/**
 * Seals a 32-byte content key to a recipient's X25519 public key with a fresh ephemeral
 * key pair. Without `binding`: `cove-seal-v1:` + base64url(ephemeral pk ‖ nonce ‖
 * box(key)). With it: `cove-seal-v2:` + base64url(ephemeral pk ‖ nonce ‖ box(key(32) ‖
 * chainId(32, big-endian) ‖ dataNft(20) ‖ publisher(20))), so the binding is as
 * authenticated as the key and cannot be changed without the recipient noticing.
 *
 * @example
 * const sealedKey = sealKey({ key: contentKey, recipientPublicKey: decodeKey(provider.x25519PublicKey), binding: { chainId, dataNft, publisher } });
 */
export function sealKey(params: SealKeyParameters): string {
  const { key, recipientPublicKey, binding } = params;
  if (key.byteLength !== CONTENT_KEY_BYTES) throw new DataPlaneError('INVALID_KEY', `content key must be ${CONTENT_KEY_BYTES} bytes`);
  if (recipientPublicKey.byteLength !== PK) throw new DataPlaneError('INVALID_KEY', 'recipient public key must be 32 bytes');
  const plain = new Uint8Array(CONTENT_KEY_BYTES + (binding === undefined ? 0 : BINDING_BYTES));
  plain.set(key, 0);
  if (binding !== undefined) plain.set(bindingBytes(binding), CONTENT_KEY_BYTES);
  const ephemeral = nacl.box.keyPair();
  const nonce = nacl.randomBytes(NONCE);
  const box = nacl.box(plain, nonce, new Uint8Array(recipientPublicKey), ephemeral.secretKey);
  ephemeral.secretKey.fill(0);
  plain.fill(0);
  const prefix = binding === undefined ? SEALED_KEY_PREFIX : BOUND_SEALED_KEY_PREFIX;
  return prefix + Buffer.concat([ephemeral.publicKey, nonce, box]).toString('base64url');
}

/**
 * Opens a sealed content key (v1 or v2) with the recipient's secret key and returns it
 * with its binding (v2 only). The caller decides whether the binding is the one it
 * expects: opening proves only that the key and binding were sealed together. Throws
 * `SEAL_BAD_FORMAT` for a malformed string (unknown prefix, wrong length or alphabet) and
 * `SEAL_OPEN_FAILED` when the key is not the recipient's (or any byte was altered).
 *
 * @example
 * const { key, binding } = openSealedKey({ sealed: doc.content.sealedKey, secretKey: provider.secretKey });
 */
export function openSealedKey(params: OpenSealedKeyParameters): OpenedKey {
  const { sealed, secretKey } = params;
  const bound = typeof sealed === 'string' && sealed.startsWith(BOUND_SEALED_KEY_PREFIX);
  if (typeof sealed !== 'string' || !(bound || sealed.startsWith(SEALED_KEY_PREFIX))) {
    throw new DataPlaneError('SEAL_BAD_FORMAT', `sealed key must start with ${SEALED_KEY_PREFIX} or ${BOUND_SEALED_KEY_PREFIX}`);
  }
  const body = sealed.slice((bound ? BOUND_SEALED_KEY_PREFIX : SEALED_KEY_PREFIX).length);
  const bytes = new Uint8Array(Buffer.from(body, 'base64url'));
  if (!/^[A-Za-z0-9_-]*$/.test(body) || bytes.byteLength !== (bound ? V2_BYTES : V1_BYTES)) {
    throw new DataPlaneError('SEAL_BAD_FORMAT', 'sealed key has the wrong length or alphabet', { details: { length: bytes.byteLength } });
  }
  if (secretKey.byteLength !== nacl.box.secretKeyLength) throw new DataPlaneError('INVALID_KEY', 'secret key must be 32 bytes');
  const opened = nacl.box.open(bytes.subarray(PK + NONCE), bytes.subarray(PK, PK + NONCE), bytes.subarray(0, PK), new Uint8Array(secretKey));
  if (opened === null) throw new DataPlaneError('SEAL_OPEN_FAILED', 'sealed key does not open with this secret key');
  const key = opened.slice(0, CONTENT_KEY_BYTES);
  if (!bound) {
    opened.fill(0);
    return { key };
  }
  const binding = parseBinding(opened.subarray(CONTENT_KEY_BYTES));
  opened.fill(0);
  return { key, binding };
}
