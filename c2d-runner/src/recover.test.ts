import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TEST_IMAGES } from '../../test/lib/images.js';
import Docker from 'dockerode';
import { LABEL_ENGINE, LABEL_JOB } from './container.js';
import { createDockerEngine, randomInstanceId } from './docker-engine.js';
import { isRunnerError } from './errors.js';
import { imageIds } from './testing/harness.js';

/** Starts the jobs in a separate process, waits until all run, then kills it with SIGKILL. */
async function startAndDie(cfg: object, expected: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./testing/start-and-die.ts', import.meta.url).pathname, JSON.stringify(cfg)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString().split('\n').filter((l) => l.startsWith('running ')).length;
      if (seen >= expected) resolve();
    });
    child.on('exit', (code) => reject(new Error(`provider process exited early (${code})`)));
  });
  child.removeAllListeners('exit');
  const dead = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await dead;
}

/** Waits (bounded) until the job's container has exited: a fixed sleep is a guess under load. */
async function untilExited(instanceId: string, jobId: string, timeoutMs = 30_000): Promise<void> {
  const docker = new Docker();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exited = await docker.listContainers({ all: true, filters: { label: [`${LABEL_ENGINE}=${instanceId}`, `${LABEL_JOB}=${jobId}`], status: ['exited'] } });
    if (exited.length > 0) return;
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not exit within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('recovery after the provider process dies', () => {
  const roots: string[] = [];
  after(async () => {
    for (const r of roots) await rm(r, { recursive: true, force: true });
  });

  it('finds its jobs by label, adopts running and finished ones, discards the rest, and leaves nothing behind', async () => {
    const ids = await imageIds();
    const workRoot = await mkdtemp(join(tmpdir(), 'cove-recover-'));
    roots.push(workRoot);
    const instanceId = randomInstanceId('rec');
    const write = (v: string) => `require('fs').writeFileSync('/data/outputs/r.json', JSON.stringify({ v: '${v}' }));`;
    await startAndDie(
      {
        workRoot,
        instanceId,
        imageId: ids.node,
        image: TEST_IMAGES.node,
        jobs: [
          { jobId: 'long', code: `setTimeout(() => { ${write('long')} }, 8000);` },
          { jobId: 'quick', code: `setTimeout(() => { ${write('quick')} }, 300);` },
          { jobId: 'junk', code: `setTimeout(() => {}, 60000);` },
        ],
      },
      3,
    );
    await untilExited(instanceId, 'quick'); // 'quick' exits while nobody watches; 'long' still runs

    const transitions: string[] = [];
    const engine = createDockerEngine({ workRoot, instanceId, concurrency: 1, onTransition: (e) => transitions.push(`${e.jobId}:${e.from}>${e.to}`) });
    const found = (await engine.recover()).sort((a, b) => a.jobId.localeCompare(b.jobId));
    assert.deepEqual(
      found.map((j) => [j.jobId, j.container, j.exitCode, j.workspace]),
      [
        ['junk', 'running', undefined, true],
        ['long', 'running', undefined, true],
        ['quick', 'exited', 0, true],
      ],
    );

    await engine.adopt({ jobId: 'long' });
    await engine.adopt({ jobId: 'quick' });
    await assert.rejects(engine.adopt({ jobId: 'quick' }), (err) => isRunnerError(err, 'JOB_EXISTS'));
    await engine.discard({ jobId: 'junk' });
    const [long, quick] = await Promise.all([engine.wait('long'), engine.wait('quick')]);
    assert.equal(long.state, 'succeeded');
    assert.equal(quick.state, 'succeeded');
    assert.equal(long.outputs!.files.get('r.json')!.toString(), '{"v":"long"}');
    assert.equal(quick.outputs!.files.get('r.json')!.toString(), '{"v":"quick"}');
    assert.ok(transitions.includes('long:null>running') && transitions.includes('long:collecting>succeeded'));

    assert.deepEqual(await engine.recover(), []);
    await assert.rejects(engine.adopt({ jobId: 'junk' }), (err) => isRunnerError(err, 'WORKSPACE_MISSING'));
    const mounts = await import('node:fs/promises').then((fs) => fs.readFile('/proc/mounts', 'utf8'));
    assert.ok(!mounts.includes(workRoot));
    await engine.close();
  });
});
