import nacl from 'tweetnacl';
import { CONTENT_KEY_BYTES } from './envelope-format.js';
import { DataPlaneError } from './errors.js';

/** Prefix of a sealed key: scheme and version, so the string describes itself. */
export const SEALED_KEY_PREFIX = 'cove-seal-v1:';
const PK = nacl.box.publicKeyLength;
const NONCE = nacl.box.nonceLength;
const SEALED_BYTES = PK + NONCE + CONTENT_KEY_BYTES + nacl.box.overheadLength;

export type SealKeyParameters = { key: Uint8Array; recipientPublicKey: Uint8Array };
export type OpenSealedKeyParameters = { sealed: string; secretKey: Uint8Array };

/**
 * Seals a 32-byte content key to a recipient's X25519 public key with a fresh ephemeral
 * key pair: `cove-seal-v1:` + base64url(ephemeral pk ‖ nonce ‖ box).
 *
 * @example
 * const sealedKey = sealKey({ key: contentKey, recipientPublicKey: decodeKey(provider.x25519PublicKey) });
 */
export function sealKey(params: SealKeyParameters): string {
  const { key, recipientPublicKey } = params;
  if (key.byteLength !== CONTENT_KEY_BYTES) throw new DataPlaneError('INVALID_KEY', `content key must be ${CONTENT_KEY_BYTES} bytes`);
  if (recipientPublicKey.byteLength !== PK) throw new DataPlaneError('INVALID_KEY', 'recipient public key must be 32 bytes');
  const ephemeral = nacl.box.keyPair();
  const nonce = nacl.randomBytes(NONCE);
  const box = nacl.box(new Uint8Array(key), nonce, new Uint8Array(recipientPublicKey), ephemeral.secretKey);
  ephemeral.secretKey.fill(0);
  return SEALED_KEY_PREFIX + Buffer.concat([ephemeral.publicKey, nonce, box]).toString('base64url');
}

/**
 * Opens a sealed content key with the recipient's secret key. Throws `SEAL_BAD_FORMAT` for
 * a malformed string and `SEAL_OPEN_FAILED` when the key is not the recipient's (or the
 * box was altered).
 *
 * @example
 * const contentKey = openSealedKey({ sealed: doc.content.sealedKey, secretKey: provider.secretKey });
 */
export function openSealedKey(params: OpenSealedKeyParameters): Uint8Array {
  const { sealed, secretKey } = params;
  if (typeof sealed !== 'string' || !sealed.startsWith(SEALED_KEY_PREFIX)) {
    throw new DataPlaneError('SEAL_BAD_FORMAT', `sealed key must start with ${SEALED_KEY_PREFIX}`);
  }
  const body = sealed.slice(SEALED_KEY_PREFIX.length);
  const bytes = new Uint8Array(Buffer.from(body, 'base64url'));
  if (!/^[A-Za-z0-9_-]*$/.test(body) || bytes.byteLength !== SEALED_BYTES) {
    throw new DataPlaneError('SEAL_BAD_FORMAT', 'sealed key has the wrong length or alphabet', { details: { length: bytes.byteLength } });
  }
  if (secretKey.byteLength !== nacl.box.secretKeyLength) throw new DataPlaneError('INVALID_KEY', 'secret key must be 32 bytes');
  const opened = nacl.box.open(bytes.subarray(PK + NONCE), bytes.subarray(PK, PK + NONCE), bytes.subarray(0, PK), new Uint8Array(secretKey));
  if (opened === null) throw new DataPlaneError('SEAL_OPEN_FAILED', 'sealed key does not open with this secret key');
  return opened;
}
