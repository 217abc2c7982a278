/**
 * Getting started: `cove init [file|url]` sets up a Cove home (keys unless `--no-keys`, and a
 * network), `cove network use <file|url>` points a home at a network, `cove network` shows it.
 * A network file is checked against its chain before it is written (`--no-check` skips).
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { encodeKey } from '../../crypto/keys.js';
import { CoveError } from '../../errors.js';
import { identityFiles, loadIdentity, type Identity } from '../../identity.js';
import { parseNetworkFile, readNetworkFile, writeNetworkFile, type NetworkFile } from '../../client/home.js';
import { checkNetwork, networkPath, type GlobalOptions } from '../context.js';
import { printResult } from '../output.js';
import type { Run } from '../run.js';
import { isDevnetChain } from './devnet.js';

/** Reads a network file from a path or an http(s) URL (`FILE_NOT_FOUND`, `NETWORK_FETCH_FAILED`, `NETWORK_INVALID`). */
export async function loadNetworkSource(source: string): Promise<NetworkFile> {
  if (!/^https?:\/\//i.test(source)) {
    const text = await readFile(source, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new CoveError('FILE_NOT_FOUND', `no such file or directory: ${source} (the network file)`, { details: { path: source } });
      throw err;
    });
    return parseNetworkFile(text, source);
  }
  let res: Response;
  try {
    res = await fetch(source, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown } }).cause?.code;
    throw new CoveError('NETWORK_FETCH_FAILED', `cannot fetch ${source} (${typeof cause === 'string' ? cause : (err as Error).message})`);
  }
  if (!res.ok) throw new CoveError('NETWORK_FETCH_FAILED', `${source} answered HTTP ${res.status}`, { details: { status: res.status } });
  return parseNetworkFile(await res.text(), source);
}

/** The network of `source`, checked against its chain unless `check` is false; nothing written yet. */
async function checkedNetwork(opts: GlobalOptions, source: string, check: boolean): Promise<NetworkFile> {
  const network = await loadNetworkSource(source);
  if (check) await checkNetwork(opts.rpc === undefined ? network : { ...network, rpcUrl: opts.rpc }, source);
  return network;
}

function networkSummary(network: NetworkFile): string {
  return `chain ${network.chainId} at ${network.rpcUrl}${network.providerUrl === undefined ? '' : `, provider ${network.providerUrl}`}`;
}

/** What to do next in a home with (or without) keys and a network. */
function nextSteps(identity: Identity | undefined, network: NetworkFile | undefined): string[] {
  if (network === undefined) return ['cove network use <file|url>   (the network file your operator hands out)'];
  const steps = ['cove assets'];
  if (identity === undefined) return [...steps, 'cove audit <assetId|jobId>   (this home has no keys: it reads and audits; cove keys new to trade)'];
  const fund = isDevnetChain(network.chainId) ? 'cove devnet fund   (a devnet: funds your key from its funded account)' : `send coins for gas to ${identity.address} (ask the network's operator)`;
  return [fund, ...steps];
}

export function registerNetwork(program: Command, run: Run): void {
  program
    .command('init [network]')
    .description('set up a Cove home: your keys (kept if present) and, given a network file or URL, the network')
    .option('--no-keys', 'no keys: a home that reads and audits only')
    .option('--no-check', 'write the network file without asking its chain first')
    .addHelpText('after', '\nExamples:\n  cove init ./devnet.json\n  COVE_HOME=~/.cove-auditor cove init https://example.org/cove/network.json --no-keys\n\nThen on a devnet: cove devnet fund; and: cove assets')
    .action(
      run(async (opts, source: string | undefined, o: { keys: boolean; check: boolean }) => {
        const file = networkPath(opts);
        // Without a source, the home's own network file, if any (a broken one is an error, not "none").
        const network =
          source !== undefined
            ? await checkedNetwork(opts, source, o.check)
            : await readNetworkFile(file).catch((err: unknown) => {
                if ((err as { code?: string }).code === 'NETWORK_NOT_CONFIGURED') return undefined;
                throw err;
              });
        // Keys once the network is known good: a refused network file leaves no half-made home.
        // A new home is readable by its user only (the keys in it are too); an existing one is left as it is.
        await mkdir(opts.home, { recursive: true, mode: 0o700 });
        const files = identityFiles(opts.home);
        const hadKeys = await stat(files.keyFile).then(
          () => true,
          () => false,
        );
        const identity = hadKeys || o.keys ? await loadIdentity({ ...files, create: !hadKeys }) : undefined;
        if (source !== undefined && network !== undefined) await writeNetworkFile(file, network);
        const next = nextSteps(identity, network);
        const data = {
          home: opts.home,
          keys: identity === undefined ? null : { address: identity.address, x25519PublicKey: encodeKey(identity.x25519.publicKey), created: !hadKeys },
          network: network === undefined ? null : { file, chainId: network.chainId, rpcUrl: network.rpcUrl, providerUrl: network.providerUrl ?? null },
          next,
        };
        printResult(opts, data, () => [
          `home             ${opts.home}`,
          ...(identity === undefined
            ? ['keys             none (reads and audits only)']
            : [`address          ${identity.address}${hadKeys ? ' (existing keys, kept)' : ' (new)'}`, `x25519 key       ${data.keys!.x25519PublicKey}`]),
          `network          ${network === undefined ? 'none yet' : networkSummary(network)}`,
          ...next.map((step, i) => `${i === 0 ? 'next' : ''}`.padEnd(17) + step),
        ]);
      }),
    );

  const network = program
    .command('network')
    .description('print the network this home is configured for (chain, contracts, provider); `network use` sets it')
    .addHelpText('after', '\nExamples:\n  cove network\n  cove network use ./devnet.json\n  cove --network ./devnet.json network')
    .action(
      run(async (opts) => {
        const file = await readNetworkFile(networkPath(opts));
        printResult(opts, file, () => [
          `rpc              ${file.rpcUrl} (chain ${file.chainId})`,
          ...Object.entries(file.contracts).map(([name, a]) => `${name.padEnd(16)} ${a}`),
          `provider         ${file.providerUrl ?? '-'}`,
        ]);
      }),
    );
  network
    .command('use <source>')
    .description("use the network of a file or an http(s) URL: checked against its chain, written to <home>/network.json")
    .option('--no-check', 'write it without asking its chain first')
    .addHelpText('after', '\nExamples:\n  cove network use ./devnet.json\n  cove network use https://example.org/cove/network.json')
    .action(
      run(async (opts, source: string, o: { check: boolean }) => {
        const used = await checkedNetwork(opts, source, o.check);
        const file = networkPath(opts);
        await writeNetworkFile(file, used);
        printResult(opts, { file, ...used }, () => [`network          ${networkSummary(used)}`, `written to       ${file}`]);
      }),
    );
}
