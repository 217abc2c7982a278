import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { CoveContracts } from '../contracts/index.js';
import { CoveError } from '../errors.js';
import { identityFiles, loadIdentity, type Identity } from '../identity.js';
import { createStorageNode } from '../storage/helia.js';
import { createCoveClient, type CoveClient } from './index.js';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

/** Where a Cove deployment lives: written by the demo (`--keep`) or by an operator. */
export const networkSchema = z.strictObject({
  rpcUrl: z.url(),
  chainId: z.string().regex(/^[0-9]+$/),
  contracts: z.strictObject({
    dataNFT: address,
    datatokenImplementation: address,
    assetFactory: address,
    fixedRateExchange: address,
    dispenser: address,
    providerRegistry: address,
    computeReceipts: address,
  }),
  /** The block the deployment started in: event scans begin here (ComputeReceipts.deploymentBlock() on-chain). */
  deploymentBlock: z.number().int().nonnegative().optional(),
  /** The provider this user works with by default. */
  providerUrl: z.url().optional(),
  /** IPFS nodes to connect to at start (e.g. the provider's), so assets and results can be fetched. */
  ipfsPeers: z.array(z.string().startsWith('/')).optional(),
});
export type NetworkFile = z.infer<typeof networkSchema>;

/** The default Cove home: $COVE_HOME, else ~/.cove. */
export function defaultHome(): string {
  return process.env.COVE_HOME ?? join(homedir(), '.cove');
}

/** Reads and validates a network file (`NETWORK_NOT_CONFIGURED`, `NETWORK_INVALID`). */
export async function readNetworkFile(path: string): Promise<NetworkFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new CoveError('NETWORK_NOT_CONFIGURED', `no network file at ${path} (run \`cove network use <file|url>\`, or pass --network <file>)`, { cause });
  }
  return parseNetworkFile(text, path);
}

/** Validates the text of a network file; `source` names it in errors (`NETWORK_INVALID`). */
export function parseNetworkFile(text: string, source: string): NetworkFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CoveError('NETWORK_INVALID', `${source} is not JSON`, { cause });
  }
  const parsed = networkSchema.safeParse(json);
  if (!parsed.success) {
    throw new CoveError('NETWORK_INVALID', `${source}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export async function writeNetworkFile(path: string, network: NetworkFile): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  await writeFile(path, `${JSON.stringify(networkSchema.parse(network), null, 2)}\n`);
}

/** The contracts of a network file, as the client takes them. */
export function networkContracts(network: NetworkFile): CoveContracts {
  return { ...network.contracts, chainId: BigInt(network.chainId), ...(network.deploymentBlock !== undefined && { deploymentBlock: network.deploymentBlock }) };
}

export type OpenCoveHomeParameters = {
  /** The user's Cove home: keys (`evm.key`, `x25519.json`), IPFS node (`ipfs/`), `network.json`. Default {@link defaultHome}. */
  home?: string;
  /** Network file; default `<home>/network.json`. */
  network?: string;
  /** Overrides the network file's RPC URL. */
  rpcUrl?: string;
  /**
   * `'optional'`: a home without keys opens a read-only client (no signer, no X25519 key;
   * listing assets and auditing need neither) instead of failing `NO_KEYS`. Default `'required'`.
   */
  keys?: 'required' | 'optional';
};

export type CoveHome<I extends Identity | undefined = Identity> = {
  cove: CoveClient;
  network: NetworkFile;
  /** The home's keys; undefined only for a home without keys opened with `keys: 'optional'`. */
  identity: I;
  home: string;
  /** Stops the IPFS node and the RPC provider. */
  close(): Promise<void>;
};

/**
 * A client for the user configured in a Cove home (as the `cove` CLI uses it): their keys,
 * their IPFS node (listening on loopback so a provider can fetch what they publish, and
 * connected to the network file's peers) and the network file's chain and contracts.
 * Missing keys are `NO_KEYS` (run `cove init`), or a read-only client with `keys: 'optional'`.
 * @example
 * const { cove, close } = await openCoveHome({ home: '/home/ana/.cove' });
 * try { console.log(await cove.listAssets()); } finally { await close(); }
 */
export async function openCoveHome(params?: OpenCoveHomeParameters & { keys?: 'required' }): Promise<CoveHome>;
export async function openCoveHome(params: OpenCoveHomeParameters & { keys: 'optional' }): Promise<CoveHome<Identity | undefined>>;
export async function openCoveHome(params: OpenCoveHomeParameters = {}): Promise<CoveHome<Identity | undefined>> {
  const home = resolve(params.home ?? defaultHome());
  const file = await readNetworkFile(resolve(params.network ?? join(home, 'network.json')));
  const network = params.rpcUrl === undefined ? file : { ...file, rpcUrl: params.rpcUrl };
  const identity = await homeIdentity(home).catch((err: unknown) => {
    if (params.keys === 'optional' && (err as { code?: string }).code === 'NO_KEYS') return undefined;
    throw err;
  });
  const storage = await createStorageNode({ directory: join(home, 'ipfs'), listen: ['/ip4/127.0.0.1/tcp/0'] });
  for (const peer of network.ipfsPeers ?? []) {
    await storage.dial(peer).catch((err: unknown) => process.stderr.write(`cove: could not reach IPFS peer ${peer}: ${(err as Error).message}\n`));
  }
  const cove = createCoveClient({ rpcUrl: network.rpcUrl, contracts: networkContracts(network), storage, ...(identity !== undefined && { signer: identity.wallet, x25519: identity.x25519 }) });
  return {
    cove,
    network,
    identity,
    home,
    async close() {
      (cove.provider as { destroy?: () => void }).destroy?.();
      await storage.stop();
    },
  };
}

/** The identity in `home`; a clear `NO_KEYS` error when there is none. */
export async function homeIdentity(home: string): Promise<Identity> {
  try {
    return await loadIdentity(identityFiles(home));
  } catch (err) {
    if ((err as { code?: string }).code === 'KEY_FILE_NOT_FOUND') {
      throw new CoveError('NO_KEYS', `no keys in ${home}: run \`cove init\` (or \`cove keys new\`) first`, { cause: err });
    }
    throw err;
  }
}
