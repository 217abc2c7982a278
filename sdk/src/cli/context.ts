import { homeIdentity, openCoveHome, type CoveHome } from '../client/home.js';
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
};

export { defaultHome, type NetworkFile } from '../client/home.js';

/** This user's identity from `<home>`; `NO_KEYS` when `cove keys new` was never run. */
export function userIdentity(opts: Pick<GlobalOptions, 'home'>): Promise<Identity> {
  return homeIdentity(opts.home);
}

/** Runs `fn` with a client for this user (see `openCoveHome`), closed afterwards whatever happens. */
export async function withSession<T>(opts: GlobalOptions, fn: (s: CoveHome) => Promise<T>): Promise<T> {
  const session = await openCoveHome({
    home: opts.home,
    ...(opts.network === undefined ? {} : { network: opts.network }),
    ...(opts.rpc === undefined ? {} : { rpcUrl: opts.rpc }),
  });
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
