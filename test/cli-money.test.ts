/**
 * Money in the `cove` CLI (issue 16), against one real stack: amounts in token units through
 * the token's decimals (`0.01` ETH, `1.5` of a 6-decimal ERC-20) or raw with `--wei`, bad
 * amounts exit 2; `cove buy` and `cove compute` show price, fee and gas and ask on a
 * terminal (a real pty, via script(1)), refuse without one unless `--yes`, spend nothing
 * when declined; an access-only asset published and downloaded, a free one's datatoken
 * taken from its dispenser by `cove download` itself.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, ContractFactory, parseEther, parseUnits } from 'ethers';
import { getDataNft, getDatatoken, getMockErc20, mockErc20Abi, mockErc20Bytecode } from '@cove/sdk';
import { startDevnet, type Devnet } from '@cove/provider';
import { COVE_BIN, createCliUser, type CliResult, type CliUser } from './lib/cli.js';
import { TEST_IMAGES } from './lib/images.js';
import { imageIdOf, writeSampleCsv } from './lib/world.js';

let devnet: Devnet;
let dir: string;
let owner: CliUser;
let buyer: CliUser;
let imageId: string;
let dataset: string;
/** A 6-decimal ERC-20 the buyer holds 100 of. */
let usdc: string;
/** Priced at 0.01 ETH an order, for compute. */
let ethAsset: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cove-cli-money-'));
  devnet = await startDevnet({ dir: join(dir, 'stack') });
  owner = await createCliUser(devnet, { dir, name: 'owner', fund: parseEther('10') });
  buyer = await createCliUser(devnet, { dir, name: 'buyer', fund: parseEther('10') });
  imageId = await imageIdOf(TEST_IMAGES.python);
  dataset = join(dir, 'data.csv');
  await writeSampleCsv({ path: dataset, rows: 12 });
  const token = (await new ContractFactory(mockErc20Abi, mockErc20Bytecode, devnet.deployer).deploy('USD Coin', 'USDC', 6)) as unknown as Contract;
  await token.waitForDeployment();
  usdc = await token.getAddress();
  await (await getMockErc20(usdc, devnet.deployer).getFunction('mint')(buyer.address, parseUnits('100', 6))).wait();
  ethAsset = await publish(['--name', 'Priced in ETH', '--price', '0.01', '--supply', '10', '--allow-any-algorithm', '--allow-image', imageId]);
});

after(async () => {
  await devnet?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function publish(args: string[]): Promise<string> {
  return (await owner.coveOk(['publish', dataset, ...args, '--get', 'assetId'])).trim();
}

/** The datatokens (base units) `address` holds of `assetId`. */
async function datatokensOf(assetId: string, address: string): Promise<bigint> {
  const datatoken = (await getDataNft(devnet.contracts.dataNFT, devnet.rpc).getFunction('datatokenOf')(assetId)) as string;
  return (await getDatatoken(datatoken, devnet.rpc).getFunction('balanceOf')(address)) as bigint;
}

/** Runs `cove <args>` as `user` on a pseudo-terminal (script(1)), typing `answer` at the question. */
async function onTerminal(user: CliUser, args: string[], answer: string): Promise<{ code: number | null; output: string }> {
  const line = [process.execPath, COVE_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', line, '/dev/null'], { cwd: dir, env: { ...process.env, COVE_HOME: user.home, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let answered = false;
  const onData = (b: Buffer) => {
    output += b.toString();
    if (!answered && output.includes('Spend this? [y/N]')) {
      answered = true;
      child.stdin.write(`${answer}\r`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}

function usageError(r: CliResult, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, pattern);
}

describe('token units', () => {
  test('prices are shown in token units, and raw with --wei', async () => {
    const shown = await buyer.coveOk(['assets', ethAsset]);
    assert.match(shown, /^price +0\.01 ETH \+ fee [0-9.]+ ETH per order \(10 datatokens left\)$/m);
    const raw = await buyer.coveOk(['--wei', 'assets', ethAsset]);
    assert.match(raw, /^price +10000000000000000 wei \+ fee [0-9]+ wei per order \(10000000000000000000 base units of datatoken left\)$/m);
  });

  test('an ERC-20 price uses its decimals: 1.5 USDC is 1500000 base units, paid in USDC', async () => {
    const assetId = await publish(['--name', 'Priced in USDC', '--token', usdc, '--price', '1.5', '--supply', '5', '--allow-any-algorithm', '--allow-image', imageId]);
    assert.match(await buyer.coveOk(['assets', assetId]), /^price +1\.5 USDC \+ fee [0-9.]+ USDC per order/m);
    assert.match(await buyer.coveOk(['--wei', 'assets', assetId]), /^price +1500000 base units of USDC \+ /m);
    const r = await buyer.cove(['buy', assetId, '--max-pay', '2', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    // The quote came first, in USDC, with the approval the buy needs.
    assert.match(r.stderr, /^price +1\.5 USDC$/m);
    assert.match(r.stderr, /^total +1\.5[0-9]* USDC$/m);
    assert.match(r.stderr, /^max pay +2 USDC$/m);
    assert.match(r.stderr, /^gas +not estimated \(the buy follows an approval/m);
    assert.match(r.stdout, /^paid +1\.5[0-9]* USDC$/m);
    assert.equal(await datatokensOf(assetId, buyer.address), parseEther('1'));
  });

  test('bad amounts are usage errors (exit 2) before any session', async () => {
    const cases: [string[], RegExp][] = [
      [['buy', ethAsset, '--amount', '1e3', '--yes'], /--amount must be an amount of datatoken such as 0\.01/],
      [['buy', ethAsset, '--amount', '-1', '--yes'], /--amount/],
      [['buy', ethAsset, '--amount', '0', '--yes'], /--amount must be more than 0/],
      [['buy', ethAsset, '--amount', '0.0000000000000000001', '--yes'], /datatoken has 18 decimals/],
      [['--wei', 'buy', ethAsset, '--amount', '0.5', '--yes'], /--amount must be a non-negative integer with --wei/],
      [['publish', dataset, '--name', 'x', '--price', 'ten', '--allow-any-algorithm', '--allow-image', imageId], /--price must be an amount of ETH/],
      [['publish', dataset, '--name', 'x', '--supply', '1,5', '--allow-any-algorithm', '--allow-image', imageId], /--supply/],
    ];
    const results = await Promise.all(cases.map(([args]) => buyer.cove([...args, '--rpc', 'http://127.0.0.1:9'])));
    // --rpc names nothing listening: a usage error must come first, not RPC_UNREACHABLE.
    for (const [i, r] of results.entries()) usageError(r, cases[i]![1]);
  });

  test('--wei takes raw amounts: --amount 2e18 base units is two orders', async () => {
    const before = await datatokensOf(ethAsset, buyer.address);
    const out = await buyer.coveOk(['--wei', 'buy', ethAsset, '--amount', '2000000000000000000', '--yes']);
    assert.match(out, /^bought +2000000000000000000 base units of datatoken = 2 order\(s\), via fixedRate$/m);
    assert.match(out, /^paid +[0-9]+ wei$/m);
    assert.equal((await datatokensOf(ethAsset, buyer.address)) - before, parseEther('2'));
  });
});

describe('a price before paying', () => {
  test('cove buy without a terminal and without --yes shows the quote, refuses with exit 2 and spends nothing', async () => {
    const before = await datatokensOf(ethAsset, buyer.address);
    const r = await buyer.cove(['buy', ethAsset]);
    usageError(r, /^cove: CONFIRMATION_REQUIRED: .*pass --yes/m);
    assert.match(r.stderr, /^buy +1 datatoken of asset [0-9]+ \(1 order\(s\)\), from its fixed-rate offer$/m);
    assert.match(r.stderr, /^price +0\.01 ETH$/m);
    assert.match(r.stderr, /^fee +[0-9.]+ ETH$/m);
    assert.match(r.stderr, /^gas +~[0-9.]+ ETH at most \([0-9]+ gas at [0-9]+ wei\/gas\)$/m);
    assert.equal(r.stdout, '');
    const json = await buyer.cove(['--json', 'buy', ethAsset]);
    assert.equal(json.code, 2);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'CONFIRMATION_REQUIRED');
    assert.equal(await datatokensOf(ethAsset, buyer.address), before);
  });

  test('on a terminal cove buy asks: n spends nothing (exit 1), y buys', async () => {
    const before = await datatokensOf(ethAsset, buyer.address);
    const no = await onTerminal(buyer, ['buy', ethAsset], 'n');
    assert.equal(no.code, 1, no.output);
    assert.match(no.output, /price +0\.01 ETH/);
    assert.match(no.output, /cove: CANCELLED: nothing spent/);
    assert.equal(await datatokensOf(ethAsset, buyer.address), before);
    const yes = await onTerminal(buyer, ['buy', ethAsset], 'y');
    assert.equal(yes.code, 0, yes.output);
    assert.match(yes.output, /bought +1 datatoken = 1 order\(s\), via fixedRate/);
    assert.equal((await datatokensOf(ethAsset, buyer.address)) - before, parseEther('1'));
  });

  test('cove compute shows the datatoken each order spends and the gas; declined or unconfirmed, no order is placed', async () => {
    const algorithm = join(dir, 'noop.py');
    await writeFile(algorithm, 'print("hi")\n');
    const before = await datatokensOf(ethAsset, buyer.address);
    assert.ok(before >= parseEther('1'), 'the buyer holds datatokens from the tests before');
    const args = ['compute', ethAsset, '--algorithm', algorithm, '--image', imageId];
    const script = await buyer.cove(args);
    usageError(script, /^cove: CONFIRMATION_REQUIRED: /m);
    assert.match(script.stderr, new RegExp(`^order +asset ${ethAsset}: spends one datatoken of the [0-9.]+ datatokens you hold$`, 'm'));
    assert.match(script.stderr, /^gas +~[0-9.]+ ETH at most/m);
    const declined = await onTerminal(buyer, args, 'n');
    assert.equal(declined.code, 1, declined.output);
    assert.match(declined.output, /CANCELLED: nothing spent/);
    assert.doesNotMatch(declined.output, /job 0x/);
    assert.equal(await datatokensOf(ethAsset, buyer.address), before);
  });
});

describe('access-only and free assets', () => {
  test('an access-only asset is published without compute options; compute options with it are exit 2', async () => {
    const bad = await owner.cove(['publish', dataset, '--name', 'x', '--access-only', '--allow-any-algorithm', '--allow-image', imageId]);
    usageError(bad, /--access-only offers no compute service: drop --allow-any-algorithm, --allow-image/);
    const assetId = await publish(['--name', 'Download only', '--access-only', '--price', '0.02', '--supply', '3']);
    const shown = await buyer.coveOk(['assets', assetId]);
    assert.match(shown, /^services +0:access$/m);
    assert.match(shown, /^algorithms +-$/m);
    // Priced: no datatoken, no download, and the command to get one.
    const none = await buyer.cove(['download', assetId, '--out', join(dir, 'none.csv')]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, new RegExp(`^cove: INSUFFICIENT_BALANCE: .*cove buy ${assetId}$`, 'm'));
    await buyer.coveOk(['buy', assetId, '--yes']);
    const out = join(dir, 'bought.csv');
    assert.match(await buyer.coveOk(['download', assetId, '--out', out]), /matches the asset document/);
    assert.deepEqual(await readFile(out), await readFile(dataset));
  });

  test("cove download of a free asset takes the dispenser's datatoken itself", async () => {
    const assetId = await publish(['--name', 'Free sample', '--access-only', '--free', '1', '--supply', '5']);
    assert.match(await buyer.coveOk(['assets', assetId]), /^price +free from its dispenser \(at most 1 datatoken per address, 5 datatokens left\)$/m);
    const newcomer = await createCliUser(devnet, { dir, name: 'newcomer', fund: parseEther('1') });
    assert.equal(await datatokensOf(assetId, newcomer.address), 0n);
    const out = join(dir, 'free.csv');
    assert.match(await newcomer.coveOk(['download', assetId, '--out', out]), /matches the asset document/);
    assert.deepEqual(await readFile(out), await readFile(dataset));
    // The dispensed datatoken was spent on the order.
    assert.equal(await datatokensOf(assetId, newcomer.address), 0n);
  });
});
