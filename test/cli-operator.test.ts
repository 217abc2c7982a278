/**
 * The provider as its operator meets it (issue 16), as real processes: `cove-provider` on
 * PATH after `npm install` (node_modules/.bin), `--help` naming every COVE_* variable, an
 * IPFS listen port that survives restarts (recorded, or COVE_IPFS_PORT), and `/v1/health`
 * reporting the chain, IPFS and Docker one by one: 503 naming the chain when anvil is gone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { ANVIL_DEFAULT_KEYS, deployCove, startAnvil, type Anvil, type CoveContracts } from '@cove/sdk';
import { EnvSchema } from '@cove/provider';
import { ROOT } from './lib/world.js';

/** Where `npm install` puts the workspace's bins. */
const BIN_DIR = join(ROOT, 'node_modules', '.bin');

let anvil: Anvil;
let contracts: CoveContracts;
let dir: string;
const running = new Set<ChildProcess>();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cove-cli-operator-'));
  anvil = await startAnvil();
  const rpc = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true });
  contracts = await deployCove({ signer: new Wallet(ANVIL_DEFAULT_KEYS[0], rpc) });
  rpc.destroy();
});

after(async () => {
  for (const child of running) child.kill('SIGKILL');
  await anvil?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `cove-provider` by name, found on PATH as a shell finds it after `npm install`. */
function coveProvider(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn('cove-provider', args, {
    cwd: dir,
    env: { ...process.env, PATH: `${BIN_DIR}:${process.env.PATH ?? ''}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

type Listening = { url: string; address: string; ipfs: string[] };

/** Starts a provider on `dataDir` and waits for its `listening` line. */
async function startOperatorProvider(dataDir: string, extra: Record<string, string> = {}): Promise<{ child: ChildProcess; listening: Listening; stop(): Promise<number | null> }> {
  const child = coveProvider([], {
    COVE_RPC_URL: anvil.rpcUrl,
    COVE_DATA_NFT_ADDRESS: contracts.dataNFT,
    COVE_COMPUTE_RECEIPTS_ADDRESS: contracts.computeReceipts,
    COVE_PROVIDER_REGISTRY_ADDRESS: contracts.providerRegistry,
    COVE_PROVIDER_PRIVATE_KEY: ANVIL_DEFAULT_KEYS[2],
    COVE_PROVIDER_PORT: '0',
    COVE_PROVIDER_DATA_DIR: dataDir,
    COVE_RUNTIME: 'runc',
    COVE_LOG_LEVEL: 'warn',
    ...extra,
  });
  const exited = exitOf(child);
  let stdout = '';
  const listening = await new Promise<Listening>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no listening line within 60 s')), 60_000);
    child.stdout!.on('data', (b: Buffer) => {
      stdout += b.toString();
      const line = stdout.split('\n').find((l) => l.includes('"listening"'));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Listening);
      }
    });
    void exited.then((r) => reject(new Error(`cove-provider exited ${r.code} before listening:\n${r.stderr}`)));
  });
  return {
    child,
    listening,
    async stop() {
      child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}

const tcpPort = (addresses: string[]): string => {
  const port = addresses.map((a) => /^\/ip4\/[0-9.]+\/tcp\/([0-9]+)\//.exec(a)?.[1]).find((p) => p !== undefined);
  assert.ok(port !== undefined, `a TCP address in ${addresses.join(', ')}`);
  return port;
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

type Health = { status: string; dependencies: Record<string, { status: string; error?: string; blockNumber?: number }>; jobs: { waiting: number; active: number } };

describe('provider operator', () => {
  test('cove-provider is on PATH after npm install; --help lists every COVE_* variable; a stray argument is exit 2', async () => {
    const help = await exitOf(coveProvider(['--help'], {}));
    assert.equal(help.code, 0, help.stderr);
    const variables = Object.keys(EnvSchema.shape);
    assert.ok(variables.length > 30);
    for (const name of variables) assert.match(help.stdout, new RegExp(`^ {2}${name} +\\S`, 'm'), `${name} in --help`);
    assert.match(help.stdout, /COVE_PROVIDER_PORT +.*\[default: 8030\]/);
    assert.match(help.stdout, /COVE_DATA_NFT_ADDRESS +.*\[default: required\]/);
    const stray = await exitOf(coveProvider(['--bogus'], {}));
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /^cove-provider: USAGE: unknown argument --bogus/);
  });

  test('the IPFS listen port is the same after a restart, and COVE_IPFS_PORT sets it', async () => {
    const dataDir = join(dir, 'restart');
    const first = await startOperatorProvider(dataDir);
    const port = tcpPort(first.listening.ipfs);
    assert.equal(await first.stop(), 0);
    assert.equal((await readFile(join(dataDir, 'ipfs-port'), 'utf8')).trim(), port);
    const second = await startOperatorProvider(dataDir);
    assert.deepEqual(second.listening.ipfs, first.listening.ipfs, 'same multiaddrs (port and peer id) after a restart');
    assert.equal(await second.stop(), 0);
    const chosen = String(await freePort());
    const third = await startOperatorProvider(dataDir, { COVE_IPFS_PORT: chosen });
    assert.equal(tcpPort(third.listening.ipfs), chosen);
    assert.equal(await third.stop(), 0);
  });

  // Last: it stops the chain.
  test('/v1/health reports the chain, IPFS and Docker; with the chain gone it is 503 naming the chain', async () => {
    const provider = await startOperatorProvider(join(dir, 'health'));
    const health = async (): Promise<{ status: number; body: Health }> => {
      const r = await fetch(`${provider.listening.url}/v1/health`);
      return { status: r.status, body: (await r.json()) as Health };
    };
    const up = await health();
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal(up.body.status, 'ok');
    assert.deepEqual(Object.keys(up.body.dependencies).sort(), ['chain', 'docker', 'ipfs']);
    for (const d of Object.values(up.body.dependencies)) assert.equal(d.status, 'ok');
    assert.equal(typeof up.body.dependencies.chain!.blockNumber, 'number');

    await anvil.stop();
    await new Promise((r) => setTimeout(r, 1_100)); // past the report's 1 s cache
    const down = await health();
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.equal(down.body.status, 'unavailable');
    assert.equal(down.body.dependencies.chain!.status, 'down');
    assert.ok((down.body.dependencies.chain!.error ?? '').length > 0, 'the chain says why');
    assert.equal(down.body.dependencies.ipfs!.status, 'ok');
    assert.equal(down.body.dependencies.docker!.status, 'ok');
    assert.deepEqual(down.body.jobs, { waiting: 0, active: 0 });
    assert.equal(await provider.stop(), 0);
  });
});
