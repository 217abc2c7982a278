import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Wallet } from 'ethers';
import { generateKeyPair, isCoveError, loadKeyPair, saveKeyPair, type KeyPair } from '@cove/sdk';

/** The provider's two keys: an EVM key (receipts, registry) and an X25519 key (sealed dataset keys). */
export type ProviderIdentity = { wallet: Wallet; address: string; x25519: KeyPair };

export type LoadIdentityParameters = {
  /** 0x-hex EVM key; wins over `keyFile`. */
  privateKey?: string | undefined;
  keyFile: string;
  /** An SDK key-pair file (`saveKeyPair` format). */
  x25519KeyFile: string;
};

/**
 * Loads the provider's keys, generating and writing (mode 0600) any that are missing, so
 * a demo provider needs no set-up and keeps its identity across restarts.
 * @example
 * const id = await loadIdentity({ keyFile: 'data/evm.key', x25519KeyFile: 'data/x25519.json' });
 */
export async function loadIdentity(params: LoadIdentityParameters): Promise<ProviderIdentity> {
  const evmKey = params.privateKey ?? (await readOrCreateEvmKey(params.keyFile));
  const wallet = new Wallet(evmKey);
  return { wallet, address: wallet.address, x25519: await readOrCreateKeyPair(params.x25519KeyFile) };
}

async function readOrCreateKeyPair(path: string): Promise<KeyPair> {
  try {
    return await loadKeyPair({ path });
  } catch (err) {
    if (!isCoveError(err, 'KEY_FILE_NOT_FOUND')) throw err;
  }
  await mkdir(dirname(path), { recursive: true });
  try {
    await saveKeyPair({ path, keyPair: generateKeyPair() });
  } catch (err) {
    if (!isCoveError(err, 'INVALID_KEY')) throw err; // another process created it first
  }
  return loadKeyPair({ path });
}

async function readOrCreateEvmKey(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true });
  const key = Wallet.createRandom().privateKey;
  try {
    await writeFile(path, key + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(path, 'utf8')).trim();
    throw err;
  }
}
