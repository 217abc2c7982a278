/**
 * The `cove` CLI as the people of a local stack use it: each user a Cove home (keys and a
 * network file naming the devnet's chain, contracts, provider and IPFS node), each command
 * a real `cove` process. Test-only.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { identityFiles, loadIdentity, writeNetworkFile } from '@cove/sdk';
import type { Devnet } from '@cove/provider';
import { ROOT } from './world.js';

const run = promisify(execFile);

/** The CLI's entry point (what `npx cove` runs). */
export const COVE_BIN = join(ROOT, 'sdk', 'bin', 'cove.mjs');

/** What one `cove` process did. */
export type CliResult = { code: number; stdout: string; stderr: string };

export type CliUser = {
  name: string;
  /** The user's Cove home (`COVE_HOME`). */
  home: string;
  address: string;
  /** Runs `cove <args>` as this user in `cwd` (default the home's parent); never throws. */
  cove(args: string[], options?: { cwd?: string }): Promise<CliResult>;
  /** Runs `cove <args>` and fails the test, with its output, unless it exits 0; returns stdout. */
  coveOk(args: string[], options?: { cwd?: string }): Promise<string>;
};

/** Writes `<home>/network.json` for the devnet, as its operator would hand it out. */
export async function writeCliNetwork(devnet: Devnet, home: string): Promise<void> {
  const { chainId, deploymentBlock, ...contracts } = devnet.contracts;
  await writeNetworkFile(join(home, 'network.json'), {
    rpcUrl: devnet.rpcUrl,
    chainId: chainId.toString(),
    contracts,
    ...(deploymentBlock !== undefined && { deploymentBlock }),
    providerUrl: devnet.provider.url,
    ipfsPeers: devnet.provider.ipfsAddresses,
  });
}

/** Runs the CLI with `COVE_HOME=home` (under `node`, default this test's Node); the exit code is returned, not thrown. */
export async function runCove(home: string, args: string[], cwd: string, node = process.execPath): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(node, [COVE_BIN, ...args], {
      cwd,
      env: { ...process.env, COVE_HOME: home },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 180_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

/**
 * A CLI user of the devnet: a Cove home `<dir>/<name>` with fresh keys (what `cove keys new`
 * makes) and the network file, funded with `fund` wei when given.
 * @example
 * const owner = await createCliUser(devnet, { dir, name: 'owner', fund: parseEther('10') });
 * const id = (await owner.coveOk(['publish', 'data.csv', …, '--get', 'assetId'])).trim();
 */
export async function createCliUser(devnet: Devnet, params: { dir: string; name: string; fund?: bigint }): Promise<CliUser> {
  const home = join(params.dir, params.name);
  const { address } = await loadIdentity({ ...identityFiles(home), create: true });
  await writeCliNetwork(devnet, home);
  if (params.fund !== undefined) await devnet.fund(address, params.fund);
  const cove = (args: string[], options: { cwd?: string } = {}) => runCove(home, args, options.cwd ?? params.dir);
  return {
    name: params.name,
    home,
    address,
    cove,
    async coveOk(args, options) {
      const r = await cove(args, options);
      if (r.code !== 0) throw new Error(`${params.name}: cove ${args.join(' ')} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      return r.stdout;
    },
  };
}
