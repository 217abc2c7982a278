import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { containerOptions } from './container.js';
import { createDockerEngine, type DockerEngineOptions } from './docker-engine.js';
import { isRunnerError } from './errors.js';
import { dockerRuntimeName, hostPidsLimit, probeRuntime, resolveRuntime, RUNSC_PIDS_OVERHEAD, RUNSC_RUNTIME_NAME } from './runtime.js';
import { normalizeSpec } from './spec.js';
import { fakeDocker, fakeMounter, type FakeBehaviour } from './testing/fake-docker.js';
import type { JobSpec } from './types.js';

const IMAGE = 'sha256:' + 'ab'.repeat(32);
const SECCOMP = '{"defaultAction":"SCMP_ACT_ERRNO"}';
const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

const spec = (jobId: string): JobSpec => ({
  jobId,
  image: 'img:1',
  allowedImageIds: [IMAGE],
  command: ['node', 'main.js'],
  inputs: [],
  algorithm: [{ name: 'main.js', content: 'x' }],
  limits: { timeoutMs: 5000, pidsLimit: 16 },
  outputPolicy: { maxBytes: 1000, allowedPatterns: ['*.json'], logs: 'none', leakGuard: { enabled: true } },
});

async function setup(params: { probe?: FakeBehaviour; behave?: FakeBehaviour; options?: Partial<DockerEngineOptions> } = {}) {
  const workRoot = await mkdtemp(join(tmpdir(), 'cove-runtime-unit-'));
  roots.push(workRoot);
  const fake = fakeDocker({ images: { 'img:1': IMAGE }, behave: () => params.behave ?? {}, ...(params.probe && { probe: params.probe }) });
  const engine = createDockerEngine({
    docker: fake.docker,
    workRoot,
    instanceId: 'unit',
    concurrency: 1,
    mounter: fakeMounter(),
    seccompBaseProfile: join(import.meta.dirname, 'testing', 'seccomp-base.fixture.json'),
    ...params.options,
  });
  return { engine, fake };
}

const probeOpts = (runtime: 'auto' | 'runsc', deadlineMs = 2000): Partial<DockerEngineOptions> => ({ runtime, runtimeProbe: { image: 'img:1', deadlineMs } });

describe('runtimes: options and translation', () => {
  it('adds the measured gVisor overhead to the pids limit under runsc only', () => {
    assert.equal(hostPidsLimit('runc', 32), 32);
    assert.equal(hostPidsLimit('runsc', 32), 32 + RUNSC_PIDS_OVERHEAD);
    assert.ok(hostPidsLimit('runsc', 1) >= 56, 'docker start hangs or fails below about 56 host tasks under gVisor');
    assert.equal(dockerRuntimeName('runc'), 'runc');
    assert.equal(dockerRuntimeName('runsc'), RUNSC_RUNTIME_NAME);
    assert.equal(dockerRuntimeName('runsc', 'my-runsc'), 'my-runsc');
  });

  it('names the runtime in the container spec and translates its pids limit', () => {
    const base = { spec: normalizeSpec(spec('j1')), imageId: IMAGE, ws: { algorithmDir: '/a', outputsDir: '/o' }, instanceId: 'p', user: { uid: 1000, gid: 1000 }, seccomp: SECCOMP };
    const runc = containerOptions(base).HostConfig!;
    assert.equal(runc.Runtime, 'runc');
    assert.equal(runc.PidsLimit, 16);
    const runsc = containerOptions({ ...base, runtime: { kind: 'runsc' } }).HostConfig!;
    assert.equal(runsc.Runtime, 'cove-runsc');
    assert.equal(runsc.PidsLimit, 16 + RUNSC_PIDS_OVERHEAD);
    assert.deepEqual({ ...runsc, Runtime: undefined, PidsLimit: undefined }, { ...runc, Runtime: undefined, PidsLimit: undefined }, 'nothing else differs');
  });

  it('decides runc without a probe, runsc only when its probe passes, and auto falls back to runc with the reason', async () => {
    let probed = 0;
    const pass = async () => void probed++;
    const failing = async () => {
      probed++;
      throw new Error('probe said no');
    };
    assert.deepEqual(await resolveRuntime('runc', failing), { runtime: 'runc', choice: 'runc' });
    assert.equal(probed, 0);
    assert.deepEqual(await resolveRuntime('runsc', pass), { runtime: 'runsc', choice: 'runsc' });
    assert.deepEqual(await resolveRuntime('auto', pass), { runtime: 'runsc', choice: 'auto' });
    await assert.rejects(resolveRuntime('runsc', failing), /probe said no/);
    assert.deepEqual(await resolveRuntime('auto', failing), { runtime: 'runc', choice: 'auto', fallbackReason: 'probe said no' });
  });
});

describe('runtimes: the probe container', () => {
  const probe = (fake: ReturnType<typeof fakeDocker>, deadlineMs = 2000) =>
    probeRuntime({ docker: fake.docker, runtimeName: 'cove-runsc', image: 'img:1', command: ['node', '-e', '0'], seccomp: SECCOMP, user: { uid: 1000, gid: 1000 }, deadlineMs });

  it('passes when a confined container under the runtime exits 0, and removes it', async () => {
    const fake = fakeDocker({ images: {}, behave: () => ({}) });
    await probe(fake);
    const [c] = [...fake.containers.values()];
    assert.equal(c!.state, 'removed');
    const hc = c!.options.HostConfig!;
    assert.equal(hc.Runtime, 'cove-runsc');
    assert.equal(hc.NetworkMode, 'none');
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.ok((hc.SecurityOpt as string[]).includes(`seccomp=${SECCOMP}`));
    assert.equal(c!.options.User, '1000:1000');
  });

  it('fails with RUNTIME_UNAVAILABLE on a non-zero exit, a failed create and a start past its deadline', async () => {
    await assert.rejects(probe(fakeDocker({ images: {}, behave: () => ({}), probe: { exitCode: 2 } })), (err) => isRunnerError(err, 'RUNTIME_UNAVAILABLE'));
    await assert.rejects(probe(fakeDocker({ images: {}, behave: () => ({}), failCreate: true })), (err) => isRunnerError(err, 'RUNTIME_UNAVAILABLE'));
    const hung = fakeDocker({ images: {}, behave: () => ({}), probe: { startHang: true } });
    const t0 = Date.now();
    await assert.rejects(probe(hung, 200), (err) => isRunnerError(err, 'RUNTIME_UNAVAILABLE') && /within 200 ms/.test(err.message));
    assert.ok(Date.now() - t0 < 2000);
    assert.equal([...hung.containers.values()][0]!.state, 'removed');
  });
});

describe('runtimes: the engine', () => {
  it('records runsc in the job status when the probe passes, and creates the job under it', async () => {
    const { engine, fake } = await setup({ options: probeOpts('runsc') });
    assert.deepEqual(await engine.runtime(), { runtime: 'runsc', choice: 'runsc' });
    assert.equal((await engine.start(spec('j1'))).runtime, 'runsc');
    const r = await engine.wait('j1');
    assert.equal(r.state, 'succeeded');
    assert.equal(r.runtime, 'runsc');
    const job = [...fake.containers.values()].find((c) => c.options.Labels?.['cove.job'] === 'j1')!;
    assert.equal(job.options.HostConfig!.Runtime, 'cove-runsc');
    assert.equal(job.options.HostConfig!.PidsLimit, 16 + RUNSC_PIDS_OVERHEAD);
  });

  it('fails closed under runsc when the probe fails: runtime() and every start are RUNTIME_UNAVAILABLE', async () => {
    const { engine, fake } = await setup({ probe: { exitCode: 1 }, options: probeOpts('runsc') });
    await assert.rejects(engine.runtime(), (err) => isRunnerError(err, 'RUNTIME_UNAVAILABLE'));
    await assert.rejects(engine.start(spec('j1')), (err) => isRunnerError(err, 'RUNTIME_UNAVAILABLE'));
    assert.equal([...fake.containers.values()].filter((c) => c.options.Labels?.['cove.job']).length, 0, 'no job container was created');
  });

  it('falls back to runc under auto when the probe fails, and records runc', async () => {
    const { engine } = await setup({ probe: { startHang: true }, options: probeOpts('auto', 100) });
    const info = await engine.runtime();
    assert.equal(info.runtime, 'runc');
    assert.match(info.fallbackReason!, /within 100 ms/);
    await engine.start(spec('j1'));
    assert.equal((await engine.wait('j1')).runtime, 'runc');
  });

  it('needs a probe image for auto and runsc', async () => {
    await assert.rejects(setup({ options: { runtime: 'auto' } }), (err) => isRunnerError(err, 'INVALID_SPEC'));
  });

  it('ends a job whose container does not start in time as engine_error START_TIMEOUT, leaving nothing', async () => {
    const { engine, fake } = await setup({ behave: { startHang: true }, options: { startTimeoutMs: 150 } });
    await engine.start(spec('j1'));
    const r = await engine.wait('j1');
    assert.equal(r.state, 'engine_error');
    assert.equal(r.errorCode, 'START_TIMEOUT');
    assert.match(r.error!, /did not start within 150 ms/);
    assert.equal(r.runtime, 'runc');
    assert.ok([...fake.containers.values()].every((c) => c.state === 'removed'));
  });
});
