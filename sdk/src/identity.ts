import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Wallet } from 'ethers';
import { generateKeyPair, loadKeyPair, saveKeyPair, type KeyPair } from './crypto/keys.js';
import { DataPlaneError } from './crypto/errors.js';
import { CoveError, isCoveError } from './errors.js';

/** A Cove participant's two keys: an EVM key (transactions, signatures) and an X25519 key (sealed keys). */
export type Identity = { wallet: Wallet; address: string; x25519: KeyPair };

export type LoadIdentityParameters = {
  /** 0x-hex EVM key; wins over `keyFile`. */
  privateKey?: string | undefined;
  /** File holding the 0x-hex EVM key (mode 0600). */
  keyFile: string;
  /** An X25519 key-pair file (`saveKeyPair` format, mode 0600). */
  x25519KeyFile: string;
  /** Generate (and write, mode 0600) keys that are missing; otherwise a missing key is an error. */
  create?: boolean;
};

/** Where an identity lives inside a directory: `<dir>/evm.key` and `<dir>/x25519.json`. */
export function identityFiles(dir: string): { keyFile: string; x25519KeyFile: string } {
  return { keyFile: join(dir, 'evm.key'), x25519KeyFile: join(dir, 'x25519.json') };
}

/**
 * Loads an identity, generating any missing key when `create` is set, so a demo
 * participant needs no set-up and keeps its identity across restarts. Key files that
 * group or others can read are refused (`KEY_FILE_PERMISSIONS`).
 * @example
 * const me = await loadIdentity({ ...identityFiles('~/.cove'), create: true });
 */
export async function loadIdentity(params: LoadIdentityParameters): Promise<Identity> {
  const create = params.create ?? false;
  const evmKey = params.privateKey ?? (await readEvmKey(params.keyFile, create));
  let wallet: Wallet;
  try {
    wallet = new Wallet(evmKey);
  } catch (cause) {
    throw new CoveError('INVALID_KEY', `${params.keyFile} does not hold a valid EVM private key`, { cause });
  }
  return { wallet, address: wallet.address, x25519: await readKeyPair(params.x25519KeyFile, create) };
}

async function readKeyPair(path: string, create: boolean): Promise<KeyPair> {
  try {
    return await loadKeyPair({ path });
  } catch (err) {
    if (!create || !isCoveError(err, 'KEY_FILE_NOT_FOUND')) throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await saveKeyPair({ path, keyPair: generateKeyPair() });
  } catch (err) {
    if (!isCoveError(err, 'INVALID_KEY')) throw err; // another process created it first
  }
  return loadKeyPair({ path });
}

async function readEvmKey(path: string, create: boolean): Promise<string> {
  try {
    const { mode } = await stat(path);
    if ((mode & 0o077) !== 0) {
      throw new DataPlaneError('KEY_FILE_PERMISSIONS', `key file ${path} is accessible to group or others; chmod 600 it`, {
        details: { path, mode: `0${(mode & 0o777).toString(8)}` },
      });
    }
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (!create) throw new DataPlaneError('KEY_FILE_NOT_FOUND', `no key file at ${path}`, { details: { path }, cause: err });
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = Wallet.createRandom().privateKey;
  try {
    await writeFile(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readEvmKey(path, false);
    throw err;
  }
}
