/**
 * The algorithm spec through the `cove` CLI, against one real stack (anvil, provider,
 * Helia, Docker): hashing a multi-file algorithm directory, an owner approving its spec
 * file, a buyer running exactly it (and refused, before any order is spent, with another
 * command), and an asset that allows any algorithm, as `cove assets` and `cove audit` say.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseEther } from 'ethers';
import { canonicalAlgorithmSpec, getDatatoken, ORDER_AMOUNT, prepareAlgorithm } from '@cove/sdk';
import { startDevnet, type Devnet } from '@cove/provider';
import { createCliUser, type CliResult, type CliUser } from './lib/cli.js';
import { TEST_IMAGES } from './lib/images.js';
import { imageIdOf, writeSampleCsv } from './lib/world.js';

const run = promisify(execFile);

/** The command the owner approves for the directory algorithm. */
const COMMAND = ['python3', '/data/transformations/algorithm/main.py'];
const ROWS = 24;

/** main.py imports a helper from a subdirectory; the helper's marker lands in metrics.json. */
const ALGORITHM_FILES: Record<string, string> = {
  'main.py': [
    'import json, os',
    'from pathlib import Path',
    'from lib.features import summarize',
    '',
    'inputs = Path(os.environ["COVE_INPUTS"])',
    'files = sorted(p for p in inputs.rglob("*") if p.is_file())',
    'rows = files[0].read_text().splitlines()[1:]',
    '(Path(os.environ["COVE_OUTPUTS"]) / "metrics.json").write_text(json.dumps(summarize(rows)) + "\\n")',
    '',
  ].join('\n'),
  'lib/features.py': ['MARKER = "helper module loaded"', '', 'def summarize(rows):', '    return {"helper": MARKER, "rows": len(rows)}', ''].join('\n'),
  'requirements.txt': 'numpy\n',
};

let devnet: Devnet;
let dir: string;
let owner: CliUser;
let buyer: CliUser;
let auditor: CliUser;
let imageId: string;
let algoDir: string;
let dataset: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cove-cli-algorithm-'));
  devnet = await startDevnet({ dir: join(dir, 'stack') });
  // One after another: funding sends from one account.
  owner = await createCliUser(devnet, { dir, name: 'owner', fund: parseEther('10') });
  buyer = await createCliUser(devnet, { dir, name: 'buyer', fund: parseEther('10') });
  auditor = await createCliUser(devnet, { dir, name: 'auditor' });
  imageId = await imageIdOf(TEST_IMAGES.python);
  algoDir = join(dir, 'algo');
  for (const [path, text] of Object.entries(ALGORITHM_FILES)) {
    await mkdir(join(algoDir, path, '..'), { recursive: true });
    await writeFile(join(algoDir, path), text);
  }
  dataset = join(dir, 'data.csv');
  await writeSampleCsv({ path: dataset, rows: ROWS });
});

after(async () => {
  await devnet?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The spec options of the approved directory algorithm, plus `extra`. */
const specArgs = (...extra: string[]) => ['--image', imageId, '--command', JSON.stringify(COMMAND), ...extra];

/** Asserts a refusal the CLI way: exit 1 or 2, nothing on stdout, one line `cove: CODE: …`; returns CODE. */
function refused(r: CliResult): string {
  assert.ok(r.code === 1 || r.code === 2, `exit code ${r.code}, stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  const m = /^cove: ([A-Z][A-Z0-9_]+): \S/.exec(lines[0]!);
  assert.ok(m, `"cove: CODE: message", got: ${lines[0]}`);
  return m[1]!;
}

async function datatokenBalance(datatoken: string, holder: string): Promise<bigint> {
  return (await getDatatoken(datatoken, devnet.rpc).getFunction('balanceOf')(holder)) as bigint;
}

type Published = { assetId: string; datatoken: string };

/** The owner publishes the small CSV with `policy` (the options that say what may run). */
async function publish(name: string, policy: string[]): Promise<Published> {
  const out = await owner.coveOk(['--json', 'publish', dataset, '--name', name, '--price', '0.01', '--supply', '10', '--timeout', '120', ...policy]);
  const { assetId, datatoken } = JSON.parse(out) as { assetId: string; datatoken: string };
  return { assetId: String(assetId), datatoken };
}

describe('cove hash-algorithm of a directory', () => {
  let hash: string;

  test('prints the hash prepareAlgorithm computes, and --out writes the canonical bytes whose sha256sum it is', async () => {
    const out = await owner.coveOk(['--json', 'hash-algorithm', algoDir, ...specArgs('--out', 'algo.spec.json')]);
    const printed = JSON.parse(out) as { algorithmHash: string; files: { path: string }[] };
    const prepared = await prepareAlgorithm(undefined, { image: imageId, file: algoDir, command: COMMAND });
    assert.equal(printed.algorithmHash, prepared.algorithmHash);
    assert.deepEqual(
      printed.files.map((f) => f.path),
      ['lib/features.py', 'main.py', 'requirements.txt'],
    );
    const specFile = join(dir, 'algo.spec.json');
    assert.equal(await readFile(specFile, 'utf8'), canonicalAlgorithmSpec(prepared.spec));
    const { stdout } = await run('sha256sum', [specFile]);
    assert.equal(`0x${stdout.split(' ')[0]}`, printed.algorithmHash);
    // The human output names the same hash.
    assert.match(await owner.coveOk(['hash-algorithm', algoDir, ...specArgs()]), new RegExp(`^algorithm hash +${printed.algorithmHash}$`, 'm'));
    hash = printed.algorithmHash;
  });

  test('a different command, env, user or working dir is a different hash', async () => {
    const variants = [
      ['--image', imageId, '--command', JSON.stringify([...COMMAND, '--fast'])],
      specArgs('--env', 'MODE=fast'),
      specArgs('--user', '1001:1001'),
      specArgs('--workdir', '/data/transformations/algorithm'),
    ];
    const hashes = await Promise.all(variants.map(async (args) => (await owner.coveOk(['hash-algorithm', algoDir, ...args, '--get', 'algorithmHash'])).trim()));
    assert.equal(new Set([hash, ...hashes]).size, 1 + variants.length, `all distinct: ${[hash, ...hashes].join(', ')}`);
  });

  test('refuses root and COVE_* variables with one coded line', async () => {
    const [root, coveEnv] = await Promise.all([
      owner.cove(['hash-algorithm', algoDir, ...specArgs('--user', '0:0')]),
      owner.cove(['hash-algorithm', algoDir, ...specArgs('--env', 'COVE_X=1')]),
    ]);
    assert.equal(refused(root), 'INVALID_PARAMS');
    assert.match(root.stderr, /user/);
    assert.equal(refused(coveEnv), 'INVALID_PARAMS');
    assert.match(coveEnv.stderr, /COVE_X/);
  });
});

describe('an owner approves a spec file, a buyer runs exactly it', () => {
  let asset: Published;
  let jobId: string;

  before(async () => {
    asset = await publish('CLI multi-file algorithm', ['--allow-algorithm', 'algo.spec.json']);
    await buyer.coveOk(['buy', asset.assetId, '--amount', '2', '--yes']);
  });

  test('the multi-file algorithm runs to success and its helper module wrote the metrics', async () => {
    jobId = (await buyer.coveOk(['compute', asset.assetId, '--yes', '--algorithm', algoDir, ...specArgs(), '--get', 'jobId'])).trim();
    await buyer.coveOk(['results', jobId, '--out', 'results-approved']);
    const metrics = JSON.parse(await readFile(join(dir, 'results-approved', 'metrics.json'), 'utf8')) as { helper: string; rows: number };
    assert.deepEqual(metrics, { helper: 'helper module loaded', rows: ROWS });
  });

  test('a buyer whose network file names no provider finds it on-chain: compute by asset, job and results by job id', async () => {
    const finder = await createCliUser(devnet, { dir, name: 'finder', fund: parseEther('1') });
    const file = join(finder.home, 'network.json');
    // The network's IPFS peers stay: asset documents are fetched through them before the provider is known.
    const { providerUrl, ...rest } = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    assert.ok(providerUrl !== undefined);
    await writeFile(file, JSON.stringify(rest));
    await finder.coveOk(['buy', asset.assetId, '--amount', '1', '--yes']);
    const id = (await finder.coveOk(['compute', asset.assetId, '--yes', '--algorithm', algoDir, ...specArgs(), '--get', 'jobId'])).trim();
    assert.equal((await finder.coveOk(['job', id, '--get', 'status'])).trim(), 'succeeded');
    await finder.coveOk(['results', id, '--out', 'results-found']);
    const metrics = JSON.parse(await readFile(join(dir, 'results-found', 'metrics.json'), 'utf8')) as { rows: number };
    assert.equal(metrics.rows, ROWS);
    // Without discovery there is nothing to fall back on: a job id of an unregistered provider says so.
    const unknown = await finder.cove(['job', `0x${'11'.repeat(32)}`]);
    assert.equal(refused(unknown), 'PROVIDER_NOT_REGISTERED');
  });

  test('the same directory with another command is refused before any order is spent', async () => {
    const before = await datatokenBalance(asset.datatoken, buyer.address);
    assert.equal(before, ORDER_AMOUNT, 'one order left after the first job');
    const r = await buyer.cove(['compute', asset.assetId, '--yes', '--algorithm', algoDir, '--image', imageId, '--command', JSON.stringify(['python3', '-c', 'print(open("/etc/hostname").read())'])]);
    assert.equal(refused(r), 'ALGORITHM_NOT_ALLOWED');
    assert.equal(await datatokenBalance(asset.datatoken, buyer.address), before);
  });

  test('the auditor, given the spec file, verifies that it is what ran', async () => {
    const out = await auditor.coveOk(['audit', jobId, '--algorithm', join(dir, 'algo.spec.json')]);
    assert.match(out, new RegExp(`^job ${jobId}: VERIFIED \\(succeeded, ran under (runc|runsc \\(gVisor\\))\\)$`, 'm'));
    assert.match(out, /^ {2}ok {3}algorithmSpec /m);
  });
});

describe('an asset that requires gVisor (--require-gvisor)', () => {
  test('cove assets says so; on a gVisor provider the job runs under runsc and the audit says so, elsewhere compute refuses before ordering', async () => {
    const asset = await publish('CLI gVisor only', ['--allow-algorithm', 'algo.spec.json', '--require-gvisor']);
    assert.match(await buyer.coveOk(['assets', asset.assetId]), /^runtime +gVisor \(runsc\) required$/m);
    await buyer.coveOk(['buy', asset.assetId, '--yes']);
    const { runtime } = (await (await fetch(`${devnet.provider.url}/v1/info`)).json()) as { runtime: string };
    if (runtime !== 'runsc') {
      const r = await buyer.cove(['compute', asset.assetId, '--yes', '--algorithm', algoDir, ...specArgs()]);
      assert.equal(refused(r), 'RUNTIME_UNAVAILABLE');
      assert.equal(await datatokenBalance(asset.datatoken, buyer.address), ORDER_AMOUNT, 'no order spent');
      return;
    }
    const jobId = (await buyer.coveOk(['compute', asset.assetId, '--yes', '--algorithm', algoDir, ...specArgs(), '--get', 'jobId'])).trim();
    const out = await auditor.coveOk(['audit', jobId]);
    assert.match(out, new RegExp(`^job ${jobId}: VERIFIED \\(succeeded, ran under runsc \\(gVisor\\)\\)$`, 'm'));
  });
});

describe('an asset that allows any algorithm', () => {
  test('cove assets says ANY algorithm, a job runs, and cove audit says VERIFIED (ANY ALGORITHM', async () => {
    const asset = await publish('CLI any algorithm', ['--allow-any-algorithm', '--allow-image', imageId]);
    assert.match(await buyer.coveOk(['assets', asset.assetId]), new RegExp(`^algorithms +ANY algorithm .*${imageId}`, 'm'));
    await buyer.coveOk(['buy', asset.assetId, '--yes']);
    const jobId = (await buyer.coveOk(['compute', asset.assetId, '--yes', '--algorithm', algoDir, ...specArgs('--env', 'MODE=unreviewed'), '--get', 'jobId'])).trim();
    const out = await auditor.coveOk(['audit', jobId]);
    assert.match(out, new RegExp(`^job ${jobId}: VERIFIED \\(ANY ALGORITHM`, 'm'));
  });
});
