import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { createCoveClient, type CoveClient } from '../client/index.js';
import type { CoveContracts } from '../contracts/index.js';
import { CoveError } from '../errors.js';
import { identityFiles, loadIdentity, type Identity } from '../identity.js';
import { createStorageNode } from '../storage/helia.js';
import type { OutputMode } from './output.js';

/** Global options every command accepts. */
export type GlobalOptions = OutputMode & {
  /** Directory holding this user's keys, IPFS node and network file (default $COVE_HOME or ~/.cove). */
  home: string;
  /** Network file (default <home>/network.json). */
  network?: string;
  /** Overrides the network file's RPC URL. */
  rpc?: string;
};

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
  /** The provider this user works with by default. */
  providerUrl: z.url().optional(),
  /** IPFS nodes to connect to at start (e.g. the provider's), so assets and results can be fetched. */
  ipfsPeers: z.array(z.string().startsWith('/')).optional(),
});
export type NetworkFile = z.infer<typeof networkSchema>;

/** The default home: $COVE_HOME, else ~/.cove. */
export function defaultHome(): string {
  return process.env.COVE_HOME ?? join(homedir(), '.cove');
}

export async function readNetwork(opts: GlobalOptions): Promise<NetworkFile> {
  const path = resolve(opts.network ?? join(opts.home, 'network.json'));
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new CoveError('NETWORK_NOT_CONFIGURED', `no network file at ${path} (run the demo with --keep, or pass --network <file>)`, { cause });
  }
  const parsed = networkSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new CoveError('NETWORK_INVALID', `${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return opts.rpc === undefined ? parsed.data : { ...parsed.data, rpcUrl: opts.rpc };
}

export async function writeNetwork(path: string, network: NetworkFile): Promise<void> {
  await mkdir(resolve(path, '..'), { recursive: true });
  await writeFile(path, `${JSON.stringify(networkSchema.parse(network), null, 2)}\n`);
}

export function contractsOf(network: NetworkFile): CoveContracts {
  return { ...network.contracts, chainId: BigInt(network.chainId) };
}

/** This user's identity from `<home>`; a clear error when `cove keys new` was never run. */
export async function userIdentity(opts: Pick<GlobalOptions, 'home'>): Promise<Identity> {
  try {
    return await loadIdentity(identityFiles(opts.home));
  } catch (err) {
    if ((err as { code?: string }).code === 'KEY_FILE_NOT_FOUND') {
      throw new CoveError('NO_KEYS', `no keys in ${opts.home}: run \`cove keys new\` first`, { cause: err });
    }
    throw err;
  }
}

export type CliSession = { cove: CoveClient; network: NetworkFile; identity: Identity };

/**
 * Runs `fn` with a client for this user: the network file, the user's keys and an IPFS
 * node in `<home>/ipfs` (listening on loopback so a provider can fetch what we publish),
 * stopped afterwards whatever happens.
 */
export async function withSession<T>(opts: GlobalOptions, fn: (s: CliSession) => Promise<T>): Promise<T> {
  const network = await readNetwork(opts);
  const identity = await userIdentity(opts);
  const storage = await createStorageNode({ directory: join(opts.home, 'ipfs'), listen: ['/ip4/127.0.0.1/tcp/0'] });
  try {
    for (const peer of network.ipfsPeers ?? []) {
      await storage.dial(peer).catch((err: unknown) => process.stderr.write(`cove: could not reach IPFS peer ${peer}: ${(err as Error).message}\n`));
    }
    const cove = createCoveClient({
      rpcUrl: network.rpcUrl,
      signer: identity.wallet,
      contracts: contractsOf(network),
      storage,
      x25519: identity.x25519,
    });
    try {
      return await fn({ cove, network, identity });
    } finally {
      (cove.provider as { destroy?: () => void }).destroy?.();
    }
  } finally {
    await storage.stop();
  }
}
