import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createDockerEngine } from './docker-engine.js';
import { isRunnerError } from './errors.js';
import { fakeDocker, fakeMounter, type FakeBehaviour } from './testing/fake-docker.js';
import type { JobSpec } from './types.js';

const IMAGE = 'sha256:' + 'ab'.repeat(32);
const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function setup(params: { behave?: (jobId: string) => FakeBehaviour; concurrency?: number; queueLimit?: number; failCreate?: boolean; refuseMount?: boolean } = {}) {
  const workRoot = await mkdtemp(join(tmpdir(), 'cove-engine-unit-'));
  roots.push(workRoot);
  const fake = fakeDocker({ images: { 'img:1': IMAGE, 'other:1': 'sha256:' + 'cd'.repeat(32) }, behave: params.behave ?? (() => ({})), failCreate: params.failCreate ?? false });
  const mounter = fakeMounter({ refuse: params.refuseMount ?? false });
  const events: string[] = [];
  const engine = createDockerEngine({
    docker: fake.docker,
    workRoot,
    instanceId: 'unit',
    concurrency: params.concurrency ?? 2,
    ...(params.queueLimit !== undefined && { queueLimit: params.queueLimit }),
    mounter,
    onTransition: (e) => events.push(`${e.jobId}:${e.to}`),
  });
  return { engine, fake, mounter, events, workRoot };
}

const spec = (jobId: string, over: Partial<JobSpec> = {}): JobSpec => ({
  jobId,
  image: 'img:1',
  allowedImageIds: [IMAGE],
  command: ['node', 'main.js'],
  inputs: [],
  algorithm: [{ name: 'main.js', content: 'x' }],
  limits: { timeoutMs: 5000, memoryBytes: 64 << 20, cpus: 0.5, pidsLimit: 16 },
  outputPolicy: { maxBytes: 1000, allowedPatterns: ['*.json'], logs: 'none', leakGuard: { enabled: true } },
  ...over,
});

describe('docker engine (fake docker)', () => {
  it('walks queued → starting → running → collecting → succeeded and leaves nothing behind', async () => {
    const { engine, fake, mounter, events, workRoot } = await setup({ behave: () => ({ outputs: { 'r.json': '{"ok":true}' } }) });
    const queued = await engine.start(spec('j1'));
    assert.equal(queued.state, 'queued');
    assert.match(queued.codeHash, /^[0-9a-f]{64}$/);
    const r = await engine.wait('j1');
    assert.equal(r.state, 'succeeded');
    assert.deepEqual(events, ['j1:queued', 'j1:starting', 'j1:running', 'j1:collecting', 'j1:succeeded']);
    assert.deepEqual(r.outputs!.manifest.files.map((f) => f.path), ['r.json']);
    assert.equal([...fake.containers.values()][0]!.state, 'removed');
    assert.equal(mounter.mounted.size, 0);
    assert.deepEqual(await readdir(join(workRoot, 'unit')), []);
    engine.release('j1');
    assert.throws(() => engine.status('j1'), (err) => isRunnerError(err, 'JOB_NOT_FOUND'));
  });

  it('creates containers with every restriction on', async () => {
    const { engine, fake } = await setup();
    await engine.start(spec('j1'));
    await engine.wait('j1');
    const o = [...fake.containers.values()][0]!.options;
    const hc = o.HostConfig!;
    assert.equal(hc.NetworkMode, 'none');
    assert.equal(hc.ReadonlyRootfs, true);
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.deepEqual((hc.SecurityOpt as string[]).map((o) => o.split('=')[0]), ['no-new-privileges', 'seccomp']);
    assert.equal(hc.Privileged, false);
    assert.equal(hc.Memory, 64 << 20);
    assert.equal(hc.MemorySwap, 64 << 20);
    assert.equal(hc.NanoCpus, 5e8);
    assert.equal(hc.PidsLimit, 16);
    assert.equal(hc.IpcMode, 'private');
    assert.equal(o.User, '1000:1000');
    assert.deepEqual(o.Labels, { 'cove.job': 'j1', 'cove.engine': 'unit' });
    assert.deepEqual(o.Env, ['COVE_JOB_ID=j1', 'COVE_INPUTS=/data/inputs', 'COVE_OUTPUTS=/data/outputs', 'COVE_ALGORITHM=/data/transformations/algorithm', 'HOME=/tmp']);
    assert.deepEqual(hc.Mounts!.map((m) => [m.Target, m.ReadOnly]), [['/data/transformations/algorithm', true], ['/data/outputs', false]]);
    assert.equal(hc.LogConfig!.Type, 'none');
  });

  it('says why a job ended: exit code, OOM, timeout', async () => {
    const { engine, fake } = await setup({ behave: (id) => (id === 'fail' ? { exitCode: 3 } : id === 'oom' ? { oom: true } : { hang: true }) });
    await engine.start(spec('fail'));
    await engine.start(spec('oom'));
    await engine.start(spec('hang', { limits: { timeoutMs: 30 } }));
    assert.deepEqual([(await engine.wait('fail')).state, (await engine.wait('fail')).exitCode], ['failed', 3]);
    assert.equal((await engine.wait('oom')).state, 'oom_killed');
    assert.equal((await engine.wait('hang')).state, 'timed_out');
    assert.equal([...fake.containers.values()].find((c) => c.options.Labels!['cove.job'] === 'hang')!.killed, true);
  });

  it('runs queued jobs in order with the concurrency limit, and refuses a full queue', async () => {
    const { engine, fake } = await setup({ concurrency: 1, queueLimit: 2, behave: () => ({ runMs: 20 }) });
    await engine.start(spec('a'));
    await new Promise((r) => setImmediate(r));
    await engine.start(spec('b'));
    await engine.start(spec('c'));
    await assert.rejects(engine.start(spec('d')), (err) => isRunnerError(err, 'QUEUE_FULL'));
    await Promise.all(['a', 'b', 'c'].map((id) => engine.wait(id)));
    assert.deepEqual(fake.order, ['a', 'b', 'c']);
  });

  it('stops a queued job without creating a container, and a running one by killing it', async () => {
    const { engine, fake, events } = await setup({ concurrency: 1, behave: () => ({ hang: true }) });
    await engine.start(spec('run'));
    await engine.start(spec('wait'));
    assert.equal((await engine.stop('wait')).state, 'stopped');
    while (engine.status('run').state !== 'running') await new Promise((r) => setTimeout(r, 2));
    assert.equal((await engine.stop('run')).state, 'stopped');
    assert.deepEqual(fake.order, ['run']);
    assert.deepEqual(events.filter((e) => e.startsWith('wait')), ['wait:queued', 'wait:stopped']);
    assert.equal((await engine.stop('run')).state, 'stopped'); // stopping again is harmless
  });

  it('refuses bad specs, unknown and disallowed images, and duplicate jobs with stable codes', async () => {
    const { engine } = await setup({ behave: () => ({ hang: true }) });
    await assert.rejects(engine.start(spec('../evil')), (err) => isRunnerError(err, 'INVALID_SPEC'));
    await assert.rejects(engine.start(spec('x', { limits: { cpus: -1 } })), (err) => isRunnerError(err, 'INVALID_SPEC'));
    await assert.rejects(engine.start(spec('x', { algorithm: [{ name: '../up.js', content: '' }] })), (err) => isRunnerError(err, 'INVALID_SPEC'));
    await assert.rejects(engine.start(spec('x', { image: 'missing:1' })), (err) => isRunnerError(err, 'IMAGE_NOT_FOUND'));
    await assert.rejects(engine.start(spec('x', { image: 'other:1' })), (err) => isRunnerError(err, 'IMAGE_NOT_ALLOWED'));
    await engine.start(spec('dup'));
    await assert.rejects(engine.start(spec('dup')), (err) => isRunnerError(err, 'JOB_EXISTS'));
    assert.throws(() => engine.collect('dup'), (err) => isRunnerError(err, 'JOB_NOT_FINISHED'));
    await engine.close();
    await assert.rejects(engine.start(spec('late')), (err) => isRunnerError(err, 'ENGINE_CLOSED'));
  });

  it('ends in engine_error with the cause when Docker or the host fails, and cleans up', async () => {
    const broken = await setup({ failCreate: true });
    await broken.engine.start(spec('j'));
    const r = await broken.engine.wait('j');
    assert.equal(r.state, 'engine_error');
    assert.match(r.error!, /daemon exploded/);
    assert.deepEqual(await readdir(join(broken.workRoot, 'unit')), []);
    const noMount = await setup({ refuseMount: true });
    await noMount.engine.start(spec('j'));
    const m = await noMount.engine.wait('j');
    assert.deepEqual([m.state, m.errorCode], ['engine_error', 'MOUNT_NOT_PERMITTED']);
    assert.equal(noMount.fake.containers.size, 0, 'no container may run without the outputs cap');
  });

  it('recover() lists containers by label with their state, and workspaces left without one', async () => {
    const { engine, fake, workRoot } = await setup({ behave: (id) => (id === 'live' ? { hang: true } : { exitCode: id === 'done' ? 2 : 0 }) });
    await engine.start(spec('live'));
    await engine.start(spec('done'));
    await engine.wait('done');
    // What a dead process leaves: a container of ours, another engine's, and an orphaned workspace.
    await fake.docker.createContainer({ name: 'cove-unit-ghost', Labels: { 'cove.job': 'ghost', 'cove.engine': 'unit' }, HostConfig: { Mounts: [] } });
    const exited = await fake.docker.createContainer({ name: 'cove-unit-gone', Labels: { 'cove.job': 'gone', 'cove.engine': 'unit' }, HostConfig: { Mounts: [{ Type: 'bind', Target: '/data/outputs', Source: workRoot }] } });
    await exited.start();
    await new Promise((r) => setTimeout(r, 20));
    await fake.docker.createContainer({ name: 'cove-else-x', Labels: { 'cove.job': 'x', 'cove.engine': 'else' }, HostConfig: { Mounts: [] } });
    await mkdir(join(workRoot, 'unit', 'orphan'));
    const found = (await engine.recover()).sort((a, b) => a.jobId.localeCompare(b.jobId));
    assert.deepEqual(
      found.map((f) => [f.jobId, f.container, f.exitCode, f.workspace]),
      [
        ['ghost', 'created', undefined, false],
        ['gone', 'exited', 0, false],
        ['orphan', 'missing', undefined, true],
      ],
    );
    await engine.discard({ jobId: 'orphan' });
    await engine.discard({ jobId: 'ghost' });
    await engine.discard({ jobId: 'gone' });
    await assert.rejects(engine.discard({ jobId: 'live' }), (err) => isRunnerError(err, 'JOB_EXISTS'));
    assert.deepEqual(await engine.recover(), []);
    await engine.close();
  });
});
