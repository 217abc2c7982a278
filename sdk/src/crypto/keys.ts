import { randomBytes } from 'node:crypto';
import { chmod, link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import nacl from 'tweetnacl';
import { CONTENT_KEY_BYTES } from './envelope-format.js';
import { DataPlaneError } from './errors.js';

/** An X25519 key pair (tweetnacl `box`), for providers and buyers. */
export type KeyPair = { publicKey: Uint8Array; secretKey: Uint8Array };

/** JSON form of a key pair on disk or in an environment variable. */
export type SerializedKeyPair = { version: 1; type: 'x25519'; publicKey: `0x${string}`; secretKey: `0x${string}` };

const HEX32 = /^0x[0-9a-fA-F]{64}$/;

/**
 * A fresh random 32-byte content key for one envelope.
 *
 * @example
 * const key = generateContentKey();
 */
export function generateContentKey(): Uint8Array {
  return new Uint8Array(randomBytes(CONTENT_KEY_BYTES));
}

/**
 * A fresh X25519 key pair.
 *
 * @example
 * const provider = generateKeyPair();
 * encodeKey(provider.publicKey); // '0x…' for the asset document and the registry
 */
export function generateKeyPair(): KeyPair {
  return nacl.box.keyPair();
}

/** The key pair whose secret key is `secretKey` (throws `INVALID_KEY` unless it is 32 bytes). */
export function keyPairFromSecretKey(secretKey: Uint8Array): KeyPair {
  if (secretKey.byteLength !== nacl.box.secretKeyLength) throw new DataPlaneError('INVALID_KEY', 'secret key must be 32 bytes');
  return nacl.box.keyPair.fromSecretKey(new Uint8Array(secretKey));
}

/**
 * A 32-byte key as 0x-prefixed hex.
 *
 * @example
 * encodeKey(keyPair.publicKey); // '0x3f…'
 */
export function encodeKey(key: Uint8Array): `0x${string}` {
  return `0x${Buffer.from(key).toString('hex')}`;
}

/**
 * Parses 0x-prefixed 64-hex-digit key text; throws `INVALID_KEY` otherwise.
 *
 * @example
 * const recipient = decodeKey(doc.provider.x25519PublicKey);
 */
export function decodeKey(text: string): Uint8Array {
  if (typeof text !== 'string' || !HEX32.test(text)) throw new DataPlaneError('INVALID_KEY', 'key must be 0x followed by 64 hex digits');
  return new Uint8Array(Buffer.from(text.slice(2), 'hex'));
}

/**
 * The versioned JSON text of a key pair.
 *
 * @example
 * process.stdout.write(serializeKeyPair(generateKeyPair()));
 */
export function serializeKeyPair(keyPair: KeyPair): string {
  const json: SerializedKeyPair = { version: 1, type: 'x25519', publicKey: encodeKey(keyPair.publicKey), secretKey: encodeKey(keyPair.secretKey) };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/**
 * Parses a key pair from its JSON text or from a bare 0x-hex secret key (the form an
 * environment variable usually holds). Checks that the public key belongs to the secret key.
 *
 * @example
 * const keyPair = parseKeyPair(config.providerKey); // value read once by the service config
 */
export function parseKeyPair(text: string): KeyPair {
  const trimmed = text.trim();
  if (HEX32.test(trimmed)) return keyPairFromSecretKey(decodeKey(trimmed));
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch (cause) {
    throw new DataPlaneError('INVALID_KEY', 'key pair is neither JSON nor a 0x-hex secret key', { cause });
  }
  const j = json as Partial<SerializedKeyPair> | null;
  if (j === null || typeof j !== 'object' || j.version !== 1 || j.type !== 'x25519') {
    throw new DataPlaneError('INVALID_KEY', 'unsupported key pair document', { details: { version: j?.version, type: j?.type } });
  }
  const keyPair = keyPairFromSecretKey(decodeKey(String(j.secretKey)));
  if (j.publicKey !== undefined && !Buffer.from(keyPair.publicKey).equals(decodeKey(String(j.publicKey)))) {
    throw new DataPlaneError('INVALID_KEY', 'public key does not match the secret key');
  }
  return keyPair;
}

export type SaveKeyPairParameters = { path: string; keyPair: KeyPair; overwrite?: boolean };

/**
 * Writes a key pair file readable by its owner only (0600), atomically.
 *
 * @example
 * await saveKeyPair({ path: '/etc/cove/provider.key.json', keyPair: generateKeyPair() });
 */
export async function saveKeyPair(params: SaveKeyPairParameters): Promise<void> {
  const { path, keyPair, overwrite = false } = params;
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(serializeKeyPair(keyPair));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(temp, 0o600); // umask cannot widen it, but be explicit
    if (overwrite) await rename(temp, path);
    else await link(temp, path); // atomic create-if-absent: EEXIST rather than a silent replace
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new DataPlaneError('INVALID_KEY', `refusing to overwrite ${path}`, { details: { path } });
    }
    throw err;
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Loads a key pair file, refusing one that group or others may read or write
 * (`KEY_FILE_PERMISSIONS`).
 *
 * @example
 * const keyPair = await loadKeyPair({ path: '/etc/cove/provider.key.json' });
 */
export async function loadKeyPair(params: { path: string }): Promise<KeyPair> {
  const { path } = params;
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (cause) {
    throw new DataPlaneError('KEY_FILE_NOT_FOUND', `no key file at ${path}`, { details: { path }, cause });
  }
  if ((mode & 0o077) !== 0) {
    throw new DataPlaneError('KEY_FILE_PERMISSIONS', `key file ${path} is accessible to group or others; chmod 600 it`, {
      details: { path, mode: `0${(mode & 0o777).toString(8)}` },
    });
  }
  return parseKeyPair(await readFile(path, 'utf8'));
}
