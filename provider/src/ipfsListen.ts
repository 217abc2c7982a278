import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProviderConfig } from './config.js';

/** The file in the data directory that records the IPFS node's TCP port across restarts. */
export const IPFS_PORT_FILE = 'ipfs-port';

/**
 * Where the provider's IPFS node listens. `COVE_IPFS_LISTEN` is taken as given. Otherwise
 * `/ip4/127.0.0.1/tcp/<port>`: `COVE_IPFS_PORT` when set, else the port recorded in
 * `<data dir>/ipfs-port` by an earlier start, else 0 (the system picks one, and
 * {@link recordIpfsPort} records it), so the multiaddrs publishers and buyers were given stay
 * valid across restarts.
 * @example
 * const listen = await ipfsListenAddresses(config.ipfs, dataDir);
 */
export async function ipfsListenAddresses(ipfs: ProviderConfig['ipfs'], dataDir: string): Promise<string[]> {
  if (ipfs.listen.length > 0) return ipfs.listen;
  const port = ipfs.port ?? (await recordedPort(dataDir)) ?? 0;
  return [`/ip4/127.0.0.1/tcp/${port}`];
}

async function recordedPort(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, IPFS_PORT_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  const port = Number(text.trim());
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

/**
 * Records the TCP port the node listens on when the listen address was the default one
 * (nothing to record when `COVE_IPFS_LISTEN` was given).
 */
export async function recordIpfsPort(ipfs: ProviderConfig['ipfs'], dataDir: string, multiaddrs: string[]): Promise<void> {
  if (ipfs.listen.length > 0) return;
  const port = multiaddrs.map((a) => /^\/ip4\/127\.0\.0\.1\/tcp\/([0-9]+)/.exec(a)?.[1]).find((p) => p !== undefined);
  if (port !== undefined) await writeFile(join(dataDir, IPFS_PORT_FILE), `${port}\n`, { mode: 0o600 });
}
