/**
 * The `cove` CLI as a newcomer and a script meet it (issue 16), against one real stack
 * (anvil, provider, Helia, Docker): one JSON document on stdout with --json even on a
 * failing audit, a pipe closed early (`| head -1`), exit 2 on usage errors, --version,
 * completion scripts; clear one-line errors (a missing file, a network file naming the wrong
 * chain or contracts, an unsupported Node); and a job id printed before waiting, with Ctrl-C
 * leaving the job running.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseEther } from 'ethers';
import { startDevnet, type Devnet } from '@cove/provider';
import { COVE_BIN, createCliUser, runCove, type CliResult, type CliUser } from './lib/cli.js';
import { TEST_IMAGES } from './lib/images.js';
import { imageIdOf, ROOT, writeSampleCsv } from './lib/world.js';

const run = promisify(execFile);

let devnet: Devnet;
let dir: string;
let owner: CliUser;
let buyer: CliUser;
let imageId: string;
let dataset: string;
let assetId: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cove-cli-ux-'));
  devnet = await startDevnet({ dir: join(dir, 'stack') });
  owner = await createCliUser(devnet, { dir, name: 'owner', fund: parseEther('10') });
  buyer = await createCliUser(devnet, { dir, name: 'buyer', fund: parseEther('10') });
  imageId = await imageIdOf(TEST_IMAGES.python);
  dataset = join(dir, 'data.csv');
  await writeSampleCsv({ path: dataset, rows: 12 });
  const out = await owner.coveOk(['--json', 'publish', dataset, '--name', 'CLI UX', '--price', '0.01', '--supply', '10', '--timeout', '120', '--allow-any-algorithm', '--allow-image', imageId]);
  assetId = String((JSON.parse(out) as { assetId: string }).assetId);
});

after(async () => {
  await devnet?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `cove …` in bash as `user` (so pipes are real); the exit codes of the pipeline's commands, and what it printed. */
async function shell(user: CliUser, line: string): Promise<{ codes: number[]; stdout: string; stderr: string }> {
  const script = `${line.replace(/^cove /, `"${process.execPath}" "${COVE_BIN}" `)}; echo "codes \${PIPESTATUS[*]}" >&2`;
  const { stdout, stderr } = await run('bash', ['-c', script], { cwd: dir, env: { ...process.env, COVE_HOME: user.home }, timeout: 60_000 });
  const m = /codes ([0-9 ]+)\n?$/.exec(stderr);
  assert.ok(m, `exit codes in: ${stderr}`);
  return { codes: m[1]!.trim().split(' ').map(Number), stdout, stderr: stderr.slice(0, m.index) };
}

/** Asserts one coded line on stderr and nothing on stdout; returns the code. */
function oneLine(r: CliResult, exit: number): string {
  assert.equal(r.code, exit, `exit ${r.code}, stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  const m = /^cove: ([A-Z][A-Z0-9_]+): \S/.exec(lines[0]!);
  assert.ok(m, `"cove: CODE: message", got: ${lines[0]}`);
  return m[1]!;
}

describe('scripting', () => {
  test('--json on a failing audit prints one JSON document: the error, with the verdict', async () => {
    const jobId = `0x${'ab'.repeat(32)}`;
    const r = await buyer.cove(['--json', 'audit', jobId]);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string }; result?: { jobId: string; ok: boolean } };
    assert.equal(doc.error.code, 'AUDIT_FAILED');
    assert.match(doc.error.message, new RegExp(jobId));
    assert.equal(doc.result?.ok, false);
    assert.equal(doc.result?.jobId, jobId);
    // A usage error too is one document.
    const bad = await buyer.cove(['--json', 'audit', '0x12']);
    assert.equal(bad.code, 2);
    assert.equal((JSON.parse(bad.stdout) as { error: { code: string } }).error.code, 'USAGE');
    const unknown = await buyer.cove(['--json', 'assets', '--bogus']);
    assert.equal(unknown.code, 2);
    assert.deepEqual(Object.keys(JSON.parse(unknown.stdout) as object), ['error']);
  });

  test('a pipe closed early (| head -1, | true) ends cove quietly with exit 0', async () => {
    const head = await shell(buyer, `cove assets ${assetId} | head -1`);
    assert.deepEqual(head.codes, [0, 0]);
    assert.match(head.stdout, new RegExp(`^asset +${assetId} \\(dataset\\)\\n$`));
    assert.doesNotMatch(head.stderr, /EPIPE|Error|at /);
    // `true` reads nothing: every write of cove meets a closed pipe.
    const closed = await shell(buyer, 'cove assets | true');
    assert.deepEqual(closed.codes, [0, 0]);
    assert.equal(closed.stderr, '');
  });

  test('every usage error exits 2: unknown option, missing argument, bad value, unknown command', async () => {
    const cases = [
      ['assets', '--bogus'],
      ['audit'],
      ['buy', 'one'],
      ['job', '0x12'],
      ['buy', assetId, '--amount', '-1'],
      ['frobnicate'],
      ['completion', 'fish'],
      [],
    ];
    const results = await Promise.all(cases.map((args) => buyer.cove(args)));
    for (const [i, r] of results.entries()) assert.equal(r.code, 2, `cove ${cases[i]!.join(' ')}: exit ${r.code}\n${r.stderr}`);
  });

  test('--version prints the version of sdk/package.json; --help of a command shows an example', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'sdk', 'package.json'), 'utf8')) as { version: string };
    assert.equal(await buyer.coveOk(['--version']), `${version}\n`);
    assert.match(await buyer.coveOk(['publish', '--help']), /\nExamples?:\n {2}cove publish /);
  });

  test('cove completion bash|zsh prints a script that completes commands and options', async () => {
    const bash = await buyer.coveOk(['completion', 'bash']);
    assert.match(bash, /complete -o default -F _cove cove/);
    const completions = async (words: string[]) => {
      const script = `${bash}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _cove; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return (await run('bash', ['-c', script])).stdout.split('\n').filter(Boolean);
    };
    assert.deepEqual(await completions(['cove', 'pub']), ['publish', 'publish-model']);
    assert.deepEqual(await completions(['cove', '--home', '/h', 'keys', '']), ['new', 'show']);
    assert.ok((await completions(['cove', 'compute', '1', '--al'])).includes('--algorithm'));
    assert.match(await buyer.coveOk(['completion', 'zsh']), /^#compdef cove\n/);
  });
});

describe('clear errors', () => {
  test('a missing input file is FILE_NOT_FOUND, exit 1, before anything is spent', async () => {
    const r = await owner.cove(['publish', './nope.csv', '--name', 'nope', '--allow-any-algorithm', '--allow-image', imageId]);
    assert.equal(oneLine(r, 1), 'FILE_NOT_FOUND');
    assert.match(r.stderr, /nope\.csv/);
  });

  test('a network file naming another chain or missing contracts is one line at start, exit 1', async () => {
    const network = JSON.parse(await readFile(join(buyer.home, 'network.json'), 'utf8')) as { chainId: string; contracts: Record<string, string> };
    const wrongChain = join(dir, 'wrong-chain.json');
    await writeFile(wrongChain, JSON.stringify({ ...network, chainId: '1' }));
    const wrongContract = join(dir, 'wrong-contract.json');
    await writeFile(wrongContract, JSON.stringify({ ...network, contracts: { ...network.contracts, dataNFT: `0x${'12'.repeat(20)}` } }));
    const [chain, contract, unreachable] = await Promise.all([
      buyer.cove(['--network', wrongChain, 'assets']),
      buyer.cove(['--network', wrongContract, 'assets']),
      buyer.cove(['--rpc', 'http://127.0.0.1:9', 'assets']),
    ]);
    assert.equal(oneLine(chain, 1), 'NETWORK_MISMATCH');
    assert.match(chain.stderr, /names chain 1, but .* is chain 31337/);
    assert.equal(oneLine(contract, 1), 'NETWORK_MISMATCH');
    assert.match(contract.stderr, new RegExp(`dataNFT 0x${'12'.repeat(20)}`));
    assert.equal(oneLine(unreachable, 1), 'RPC_UNREACHABLE');
  });

  test("ethers' raw errors never reach the user: one coded line", async () => {
    // Contracts swapped in the network file: code at every address, the wrong one; the call reverts in ethers.
    const network = JSON.parse(await readFile(join(buyer.home, 'network.json'), 'utf8')) as { contracts: Record<string, string> };
    const swapped = join(dir, 'swapped.json');
    await writeFile(swapped, JSON.stringify({ ...network, contracts: { ...network.contracts, dataNFT: network.contracts.dispenser, dispenser: network.contracts.dataNFT } }));
    const r = await buyer.cove(['--network', swapped, 'assets', assetId]);
    oneLine(r, 1);
    assert.match(r.stderr, /execution reverted/);
    assert.doesNotMatch(r.stderr, /version=6|action=|transaction=|\{"/);
    assert.match(r.stderr, /\)\n$/, 'parentheses closed');
  });

  test('an unsupported Node gets one line and exit 1', async (t) => {
    const system = '/usr/bin/node';
    const version = await run(system, ['--version']).then(
      (r) => r.stdout.trim(),
      () => undefined,
    );
    if (version === undefined || Number(version.slice(1).split('.')[0]) >= 24) return t.skip(`no Node older than 24 at ${system} (${version ?? 'none'})`);
    const r = await runCove(buyer.home, ['--version'], dir, system);
    assert.equal(oneLine(r, 1), 'UNSUPPORTED_NODE');
    assert.match(r.stderr, new RegExp(`Node 24 or newer; this is Node ${version.slice(1)}`));
  });
});

describe('jobs you can find again', () => {
  test('cove compute prints the job id before waiting; Ctrl-C says how to find it, exits 130 and leaves it running', async () => {
    await buyer.coveOk(['buy', assetId, '--yes']);
    const slow = join(dir, 'slow.py');
    await writeFile(slow, ['import os, time', 'time.sleep(20)', 'open(os.path.join(os.environ["COVE_OUTPUTS"], "done.txt"), "w").write("done\\n")', ''].join('\n'));
    const child = spawn(process.execPath, [COVE_BIN, 'compute', assetId, '--algorithm', slow, '--image', imageId, '--yes'], { cwd: dir, env: { ...process.env, COVE_HOME: buyer.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const jobId = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no job id on stderr within 60 s:\n${stderr}`)), 60_000);
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        const m = /^cove: job (0x[0-9a-f]{64}) started/m.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      void exited.then(() => reject(new Error(`cove exited before printing a job id:\n${stderr}`)));
    });
    child.kill('SIGINT');
    const { code } = await exited;
    assert.equal(code, 130, stderr);
    assert.match(stderr, new RegExp(`^cove: job still running: cove job ${jobId}`, 'm'));
    assert.equal(stdout, '', 'no result on stdout');
    const status = (await buyer.coveOk(['job', jobId, '--get', 'status'])).trim();
    assert.ok(['queued', 'running', 'succeeded'].includes(status), `the job goes on: ${status}`);
    // Done with it: stopping is what ends a job (and frees its container before the devnet closes).
    if (status !== 'succeeded') await buyer.coveOk(['stop', jobId]);
    // Once its receipt is on-chain, `cove jobs` finds it again from the chain alone: mine, with its status.
    const ended = (await buyer.coveOk(['job', jobId, '--wait', '--get', 'status'])).trim();
    const mine = JSON.parse(await buyer.coveOk(['--json', 'jobs'])) as { jobId: string; status: string }[];
    assert.deepEqual(mine.find((j) => j.jobId === jobId)?.status, ended);
    const theirs = JSON.parse(await buyer.coveOk(['--json', 'jobs', '--consumer', owner.address])) as unknown[];
    assert.deepEqual(theirs, [], "the owner bought no job: none of the buyer's are listed as theirs");
  });
});
