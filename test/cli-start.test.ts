/**
 * A newcomer's first day with the `cove` CLI (issue 16), against one real stack: `cove init`
 * on an empty home with the network from a URL, its key funded by `cove devnet fund`, through
 * buy → compute → results; a home without keys that reads and audits; `cove network use`
 * refusing bad files; `cove devnet fund` refusing a chain that is no devnet; `cove job
 * --follow` (states, time, log tail, the job's outcome as exit; Ctrl-C leaves the job
 * running); and the homes `npm run demo -- --keep` prints, each command run as printed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcProvider, parseEther, Wallet } from 'ethers';
import { ANVIL_DEFAULT_KEYS, deployCove, startAnvil, writeNetworkFile, type NetworkFile } from '@cove/sdk';
import { startDevnet, type Devnet } from '@cove/provider';
import { devnetNetworkFile, keepHomes } from '../demo/keep.js';
import { COVE_BIN, createCliUser, runCove, type CliResult, type CliUser } from './lib/cli.js';
import { TEST_IMAGES } from './lib/images.js';
import { imageIdOf, writeSampleCsv } from './lib/world.js';

let devnet: Devnet;
let dir: string;
/** Where the demo's homes would be: owner, buyer (the newcomer) and auditor (no keys). */
let demoDir: string;
let owner: CliUser;
let imageId: string;
let assetId: string;
let network: NetworkFile;
let networkFile: string;
let server: Server;
let networkUrl: string;
/** What the newcomer's first job made: its id and results directory. */
const story = { jobId: '', results: '', modelId: '' };

/** `cove <args>` as the user of `home`, in `dir`. */
const cove = (home: string, args: string[]) => runCove(home, args, dir);
const ok = async (home: string, args: string[]) => {
  const r = await cove(home, args);
  assert.equal(r.code, 0, `cove ${args.join(' ')} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
};

/** Asserts one coded line on stderr and nothing on stdout; returns the code. */
function oneLine(r: CliResult, exit: number): string {
  assert.equal(r.code, exit, `exit ${r.code}, stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  return /^cove: ([A-Z][A-Z0-9_]+): \S/.exec(lines[0]!)?.[1] ?? assert.fail(`"cove: CODE: message", got: ${lines[0]}`);
}

/** A one-file Python algorithm in `dir`. */
async function algorithm(name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, ['import os, sys, time', ...lines, ''].join('\n'));
  return path;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cove-cli-start-'));
  demoDir = join(dir, 'demo');
  devnet = await startDevnet({ dir: join(dir, 'stack') });
  owner = await createCliUser(devnet, { dir: demoDir, name: 'owner', fund: parseEther('10') });
  imageId = await imageIdOf(TEST_IMAGES.python);
  const dataset = join(dir, 'data.csv');
  await writeSampleCsv({ path: dataset, rows: 12 });
  assetId = (await owner.coveOk(['publish', dataset, '--name', 'First day', '--price', '0.01', '--supply', '10', '--timeout', '120', '--allow-any-algorithm', '--allow-image', imageId, '--get', 'assetId'])).trim();
  // The operator hands the network file out, here over HTTP.
  network = devnetNetworkFile(devnet);
  networkFile = join(dir, 'network.json');
  await writeNetworkFile(networkFile, network);
  server = createServer((req, res) => {
    if (req.url === '/network.json') void readFile(networkFile).then((body) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    else res.writeHead(404).end('not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  networkUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/network.json`;
});

after(async () => {
  server?.close();
  await devnet?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('getting started', () => {
  test('cove init on an empty home, the network from a URL, cove devnet fund, then buy → compute → results', async () => {
    const home = join(demoDir, 'buyer');
    const init = await ok(home, ['init', networkUrl]);
    const address = /^address +(0x[0-9a-fA-F]{40}) \(new\)$/m.exec(init)?.[1] ?? assert.fail(`an address in:\n${init}`);
    assert.match(init, /^network +chain 31337 at http:\/\/127\.0\.0\.1:\d+, provider http/m);
    assert.match(init, /^next +cove devnet fund/m);
    // Again: the keys are kept, not replaced.
    const again = JSON.parse(await ok(home, ['--json', 'init'])) as { keys: { address: string; created: boolean }; network: { chainId: string } };
    assert.deepEqual([again.keys.address, again.keys.created, again.network.chainId], [address, false, '31337']);

    const funded = JSON.parse(await ok(home, ['--json', 'devnet', 'fund'])) as { address: string; amount: string; balance: string };
    assert.deepEqual([funded.address, funded.amount, funded.balance], [address, parseEther('10').toString(), parseEther('10').toString()]);
    assert.match(await ok(home, ['devnet', 'fund', owner.address, '--amount', '0.5']), new RegExp(`^funded +${owner.address} with 0\\.5 ETH$`, 'm'));

    await ok(home, ['buy', assetId, '--yes']);
    const train = await algorithm('train.py', ['print("epoch 1 loss 0.50")', 'print("epoch 2 loss 0.25")', 'open(os.path.join(os.environ["COVE_OUTPUTS"], "metrics.json"), "w").write(\'{"loss": 0.25}\\n\')']);
    const jobId = (await ok(home, ['compute', assetId, '--algorithm', train, '--image', imageId, '--yes', '--get', 'jobId'])).trim();
    const results = join(dir, 'results');
    assert.match(await ok(home, ['results', jobId, '--out', results]), /^metrics\.json +\d+ bytes/m);
    assert.equal(await readFile(join(results, 'metrics.json'), 'utf8'), '{"loss": 0.25}\n');
    story.jobId = jobId;
    story.results = results;
    story.modelId = (await ok(home, ['publish-model', jobId, '--dir', results, '--name', 'First model', '--get', 'assetId'])).trim();
  });

  test('a home without keys reads and audits; what signs says NO_KEYS', async () => {
    const home = join(demoDir, 'auditor');
    const init = JSON.parse(await ok(home, ['--json', 'init', networkFile, '--no-keys'])) as { keys: unknown; next: string[] };
    assert.equal(init.keys, null);
    assert.ok(!existsSync(join(home, 'evm.key')), 'no key written');
    assert.match(await ok(home, ['assets']), new RegExp(`^ *${assetId} {2}dataset +First day$`, 'm'));
    assert.match(await ok(home, ['audit', story.jobId]), /receiptExists/);
    await ok(home, ['audit', assetId]);
    assert.equal(oneLine(await cove(home, ['buy', assetId, '--yes']), 1), 'NO_KEYS');
  });

  test('cove network use checks what it is given: a missing, broken or foreign file is one line, and the home keeps its network', async () => {
    const home = join(demoDir, 'auditor');
    const before = await readFile(join(home, 'network.json'), 'utf8');
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "rpcUrl": ');
    const foreign = join(dir, 'foreign.json');
    await writeFile(foreign, JSON.stringify({ ...network, chainId: '1' }));
    const unknownUrl = networkUrl.replace('network.json', 'nope.json');
    const [missing, bad, wrongChain, notFound] = await Promise.all([
      cove(home, ['network', 'use', join(dir, 'nope.json')]),
      cove(home, ['network', 'use', broken]),
      cove(home, ['network', 'use', foreign]),
      cove(home, ['network', 'use', unknownUrl]),
    ]);
    assert.equal(oneLine(missing, 1), 'FILE_NOT_FOUND');
    assert.equal(oneLine(bad, 1), 'NETWORK_INVALID');
    assert.equal(oneLine(wrongChain, 1), 'NETWORK_MISMATCH');
    assert.equal(oneLine(notFound, 1), 'NETWORK_FETCH_FAILED');
    assert.equal((await cove(home, ['network', 'use'])).code, 2, 'a missing argument is a usage error');
    const json = await cove(home, ['--json', 'network', 'use', foreign]);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'NETWORK_MISMATCH');
    assert.equal(await readFile(join(home, 'network.json'), 'utf8'), before, 'nothing written');
    // cove init with a network it refuses leaves no half-made home.
    const fresh = join(dir, 'refused-home');
    assert.equal(oneLine(await cove(fresh, ['init', foreign]), 1), 'NETWORK_MISMATCH');
    assert.ok(!existsSync(fresh), 'no home made');
    assert.match(await ok(home, ['network', 'use', networkUrl]), /^network +chain 31337 /m);
    assert.equal((await ok(home, ['network', '--get', 'chainId'])).trim(), '31337');
  });

  test('cove devnet fund refuses a chain that is no devnet, and bad arguments exit 2', async () => {
    const anvil = await startAnvil({ chainId: 5 });
    const rpc = new JsonRpcProvider(anvil.rpcUrl, 5, { staticNetwork: true });
    try {
      const { chainId, deploymentBlock, ...contracts } = await deployCove({ signer: new Wallet(ANVIL_DEFAULT_KEYS[0], rpc) });
      const other = join(dir, 'chain5.json');
      await writeNetworkFile(other, { rpcUrl: anvil.rpcUrl, chainId: chainId.toString(), contracts, ...(deploymentBlock !== undefined && { deploymentBlock }) });
      const target = Wallet.createRandom().address;
      const refused = await cove(owner.home, ['--network', other, 'devnet', 'fund', target]);
      assert.equal(oneLine(refused, 1), 'NOT_A_DEVNET');
      assert.match(refused.stderr, /chain 5 is not a devnet/);
      assert.equal(await rpc.getBalance(target), 0n, 'nothing sent');
    } finally {
      rpc.destroy();
      await anvil.stop();
    }
    const [badAddress, badAmount] = await Promise.all([cove(owner.home, ['devnet', 'fund', '0x12']), cove(owner.home, ['devnet', 'fund', '--amount', '-1'])]);
    assert.equal(badAddress.code, 2);
    assert.equal(badAmount.code, 2);
  });
});

describe('cove job --follow', () => {
  test('shows each state with its time, then the released log tail; exits with the job outcome', async () => {
    const home = join(demoDir, 'buyer');
    const follow = await cove(home, ['job', story.jobId, '--follow']);
    assert.equal(follow.code, 0, follow.stderr);
    for (const state of ['queued', 'running', 'succeeded', 'receipt posted']) assert.match(follow.stderr, new RegExp(`^\\[\\d+:\\d\\d\\] ${state}`, 'm'));
    assert.doesNotMatch(follow.stderr, /\x1b\[/, 'no escape codes where stderr is no terminal');
    assert.match(follow.stdout, /^epoch 1 loss 0\.50\nepoch 2 loss 0\.25\n(.|\n)*^status +succeeded$/m);
    const doc = JSON.parse((await ok(home, ['--json', 'job', story.jobId, '--follow']))) as { status: string; logs: string };
    assert.equal(doc.status, 'succeeded');
    assert.match(doc.logs, /epoch 2 loss 0\.25/);

    await ok(home, ['buy', assetId, '--yes']);
    const crash = await algorithm('crash.py', ['print("loading")', 'sys.stderr.write("boom: bad row 7\\n")', 'sys.exit(3)']);
    const failedId = (await ok(home, ['compute', assetId, '--algorithm', crash, '--image', imageId, '--yes', '--no-wait', '--get', 'jobId'])).trim();
    const failed = await cove(home, ['job', failedId, '--follow']);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stdout, /boom: bad row 7/);
    assert.match(failed.stderr, /^\[\d+:\d\d\] failed/m);
    assert.match(failed.stderr, new RegExp(`^cove: JOB_FAILED: job ${failedId} ended failed`, 'm'));
    assert.equal((await cove(home, ['job', failedId, '--follow', '--wait'])).code, 2);
  });

  test('Ctrl-C while following says how to find the job again, exits 130 and leaves it running', async () => {
    const home = join(demoDir, 'buyer');
    await ok(home, ['buy', assetId, '--yes']);
    const slow = await algorithm('slow.py', ['time.sleep(30)']);
    const jobId = (await ok(home, ['compute', assetId, '--algorithm', slow, '--image', imageId, '--yes', '--no-wait', '--get', 'jobId'])).trim();
    const child = spawn(process.execPath, [COVE_BIN, 'job', jobId, '--follow'], { cwd: dir, env: { ...process.env, COVE_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not running within 60 s:\n${stderr}`)), 60_000);
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        if (/\] running/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, new RegExp(`^cove: job still running: cove job ${jobId}`, 'm'));
    assert.equal((await ok(home, ['job', jobId, '--get', 'status'])).trim(), 'running');
    await ok(home, ['stop', jobId]);
    // Its receipt on-chain before the audits below.
    assert.equal((await ok(home, ['job', jobId, '--wait', '--get', 'status'])).trim(), 'stopped');
  });
});

/** Runs `cove <args>` as the user of `home` on a pseudo-terminal (script(1)); what the terminal showed. */
async function onTerminal(home: string, args: string[], env: Record<string, string>): Promise<{ code: number; screen: string }> {
  const line = [process.execPath, COVE_BIN, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', line, '/dev/null'], { cwd: dir, env: { ...process.env, COVE_HOME: home, TERM: 'xterm', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let screen = '';
  child.stdout.on('data', (b: Buffer) => (screen += b.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, screen };
}

describe('on a terminal', () => {
  test('cove job --follow ticks its state and time; cove results draws a bar; colour unless NO_COLOR', async () => {
    const home = join(demoDir, 'buyer');
    const follow = await onTerminal(home, ['job', story.jobId, '--follow'], {});
    assert.equal(follow.code, 0, follow.screen);
    // An ended job's line shows how long it took (under a minute), not its age (minutes by now).
    assert.match(follow.screen, new RegExp(`job ${story.jobId.slice(0, 6)}…${story.jobId.slice(-6)} {2}succeeded {2}0:[0-5]\\d`));
    assert.match(follow.screen, /\x1b\[32msucceeded\x1b\[0m/, 'the outcome in colour');
    const plain = await onTerminal(home, ['job', story.jobId, '--follow'], { NO_COLOR: '1' });
    assert.match(plain.screen, /\] succeeded\r?\n/);
    assert.doesNotMatch(plain.screen, /\x1b\[[0-9;]*m/, 'no colour with NO_COLOR');
    const results = await onTerminal(home, ['results', story.jobId, '--out', join(dir, 'results-tty')], { NO_COLOR: '1' });
    assert.equal(results.code, 0, results.screen);
    assert.match(results.screen, /results .*\d+(\.\d)? (B|KiB) \/ \d+(\.\d)? (B|KiB)/, 'the bytes fetched of the bundle\'s total');
    assert.doesNotMatch(results.screen, /\x1b\[[0-9;]*m/);
  });
});

test('the homes npm run demo -- --keep prints are ready: each command runs as printed', async () => {
  const lines = await keepHomes(demoDir, network, { assetId: BigInt(assetId), jobId: story.jobId, modelId: BigInt(story.modelId), resultsDir: story.results });
  const commands = lines.map((l) => /^ {2}COVE_HOME=(\S+) npx cove (.+)$/.exec(l)).filter((m) => m !== null);
  assert.ok(commands.length >= 8, lines.join('\n'));
  assert.ok(lines.some((l) => / devnet fund/.test(l)), 'says how to fund a new key');
  for (const [, home, args] of commands) {
    // On a terminal `cove buy` asks; here, as in any script, it takes --yes.
    const argv = args!.split(' ');
    await ok(home!, argv[0] === 'buy' ? [...argv, '--yes'] : argv);
  }
});
