import { join, resolve } from 'node:path';
import { homeIdentity, openCoveHome, readNetworkFile, type CoveHome, type NetworkFile } from '../client/home.js';
import { CoveError } from '../errors.js';
import type { Identity } from '../identity.js';
import type { OutputMode } from './output.js';

/** Global options every command accepts. */
export type GlobalOptions = OutputMode & {
  /** Directory holding this user's keys, IPFS node and network file (default $COVE_HOME or ~/.cove). */
  home: string;
  /** Network file (default <home>/network.json). */
  network?: string;
  /** Overrides the network file's RPC URL. */
  rpc?: string;
  /** Amounts accepted and shown as raw integers (wei, base units) instead of token units. */
  wei: boolean;
};

export { defaultHome, type NetworkFile } from '../client/home.js';

/** This user's identity from `<home>`; `NO_KEYS` when `cove keys new` was never run. */
export function userIdentity(opts: Pick<GlobalOptions, 'home'>): Promise<Identity> {
  return homeIdentity(opts.home);
}

/** The network file these options name. */
export function networkPath(opts: Pick<GlobalOptions, 'home' | 'network'>): string {
  return resolve(opts.network ?? join(opts.home, 'network.json'));
}

/** One JSON-RPC call with a deadline; `RPC_UNREACHABLE` / `RPC_FAILED` as one line. */
async function rpcCall(url: string, method: string, params: unknown[]): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown } }).cause?.code;
    throw new CoveError('RPC_UNREACHABLE', `cannot reach the chain at ${url} (${typeof cause === 'string' ? cause : (err as Error).message}): is the node running, is --rpc or the network file's rpcUrl right?`);
  }
  const body = (await res.json().catch(() => undefined)) as { result?: unknown; error?: { message?: string } } | undefined;
  if (!res.ok || body === undefined || body.result === undefined) {
    throw new CoveError('RPC_FAILED', `${url} answered ${method} with ${body?.error?.message ?? `HTTP ${res.status}`}`);
  }
  return body.result;
}

/**
 * Checks that the chain at the network file's RPC is the chain the file names and that every
 * contract it names has code there: a network file for another deployment (or a restarted
 * devnet) is one line, `NETWORK_MISMATCH`, before any key, IPFS node or transaction. Asked of
 * the chain on every run; nothing is cached.
 */
export async function checkNetwork(network: NetworkFile, file: string): Promise<void> {
  const entries = Object.entries(network.contracts);
  const [chainId, ...codes] = await Promise.all([
    rpcCall(network.rpcUrl, 'eth_chainId', []),
    ...entries.map(([, address]) => rpcCall(network.rpcUrl, 'eth_getCode', [address, 'latest'])),
  ]);
  const actual = typeof chainId === 'string' ? BigInt(chainId).toString() : String(chainId);
  if (actual !== network.chainId) {
    throw new CoveError('NETWORK_MISMATCH', `${file} names chain ${network.chainId}, but ${network.rpcUrl} is chain ${actual}`, { details: { expected: network.chainId, actual } });
  }
  const missing = entries.filter((_, i) => typeof codes[i] !== 'string' || codes[i] === '0x').map(([name, address]) => `${name} ${address}`);
  if (missing.length > 0) {
    throw new CoveError('NETWORK_MISMATCH', `${file}: no contract on chain ${actual} at ${missing.join(', ')} (a network file of another deployment, or a restarted devnet?)`, { details: { missing } });
  }
}

/**
 * Runs `fn` with a client for this user (see `openCoveHome`), closed afterwards whatever
 * happens. The network file is first checked against the chain (`checkNetwork`). Commands
 * that only read (assets, audit) pass `{ keys: 'optional' }`: a home without keys reads too.
 */
export async function withSession<T>(opts: GlobalOptions, fn: (s: CoveHome) => Promise<T>): Promise<T>;
export async function withSession<T>(opts: GlobalOptions, fn: (s: CoveHome<Identity | undefined>) => Promise<T>, options: { keys: 'optional' }): Promise<T>;
export async function withSession<T>(opts: GlobalOptions, fn: (s: CoveHome) => Promise<T>, options: { keys?: 'optional' } = {}): Promise<T> {
  const file = networkPath(opts);
  const network = await readNetworkFile(file);
  await checkNetwork(opts.rpc === undefined ? network : { ...network, rpcUrl: opts.rpc }, file);
  const params = { home: opts.home, network: file, ...(opts.rpc === undefined ? {} : { rpcUrl: opts.rpc }) };
  // Keys are missing only where the caller said they may be (its fn takes CoveHome<Identity | undefined>).
  const session = (options.keys === 'optional' ? await openCoveHome({ ...params, keys: 'optional' }) : await openCoveHome(params)) as CoveHome;
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
