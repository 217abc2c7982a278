import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { ContractFactory, JsonRpcProvider, Wallet } from 'ethers';
import { startAnvil, ANVIL_DEFAULT_KEYS } from '@cove/sdk';
import { TEST_IMAGES } from './lib/images.js';

const run = promisify(execFile);

test('runs on the pinned Node 24', () => {
  assert.match(process.version, /^v24\./);
});

test('forge compiles a contract that anvil deploys and ethers calls', async (t) => {
  await run('forge', ['build', '--quiet'], { cwd: new URL('..', import.meta.url).pathname });
  const artifact = JSON.parse(
    await readFile(new URL('../contracts/out/Smoke.sol/Smoke.json', import.meta.url), 'utf8'),
  );
  const anvil = await startAnvil();
  t.after(() => anvil.stop());
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const wallet = new Wallet(ANVIL_DEFAULT_KEYS[0], provider);
  const factory = new ContractFactory(artifact.abi, artifact.bytecode.object, wallet);
  const smoke = await factory.deploy();
  await smoke.waitForDeployment();
  const tx = await smoke.getFunction('set')(42n);
  const receipt = await tx.wait();
  assert.equal(receipt?.status, 1);
  assert.equal(await smoke.getFunction('value')(), 42n);
  provider.destroy();
});

test('dockerode runs the local Node image with no network and reads its output', async () => {
  const docker = new Docker();
  const container = await docker.createContainer({
    Image: TEST_IMAGES.node,
    Cmd: ['node', '-e', 'console.log(process.version); require("node:net").connect(80, "1.1.1.1").on("error", e => console.log(e.code))'],
    HostConfig: { NetworkMode: 'none', AutoRemove: false },
  });
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    container.modem.demuxStream(stream, stdout, new PassThrough());
    await container.start();
    const { StatusCode } = await container.wait();
    assert.equal(StatusCode, 0);
    await new Promise((r) => setImmediate(r));
    const lines = Buffer.concat(chunks).toString().trim().split('\n');
    assert.match(lines[0] ?? '', /^v24\./);
    assert.equal(lines[1], 'ENETUNREACH');
  } finally {
    await container.remove({ force: true });
  }
});
