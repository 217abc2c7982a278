import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { createDockerEngine, createLeakIndex, randomInstanceId, type JobSpec } from '@cove/c2d-runner';
import { TEST_IMAGES } from '../test/lib/images.js';
import { against, type BenchRow, type BenchSuite } from './lib.js';

const sh = promisify(execFile);
const RUNS = 12;

/** Median milliseconds of each of `fns`, run in turn `n` times. */
async function interleavedMedians(n: number, fns: Array<() => Promise<unknown>>): Promise<number[]> {
  const times = fns.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (const [j, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      times[j]!.push(performance.now() - t0);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

/** Runs `jobs` tasks `parallel` at a time; returns jobs per minute. */
async function perMinute(jobs: number, parallel: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < jobs) await task(next++);
    }),
  );
  return (jobs / (performance.now() - t0)) * 60_000;
}

/**
 * The runner's cost over a bare `docker run --rm --network none`: one trivial job's
 * start-to-collected time (median), throughput with the queue full, and the leak guard's
 * input scan rate.
 */
export const runner: BenchSuite = {
  name: 'runner',
  async run() {
    const docker = new Docker();
    const image = TEST_IMAGES.node;
    const imageId = (await docker.getImage(image).inspect()).Id;
    const cores = availableParallelism();
    const workRoot = await mkdtemp(join(tmpdir(), 'cove-bench-runner-'));
    const engine = createDockerEngine({ workRoot, instanceId: randomInstanceId('bench'), concurrency: cores });
    // gVisor beside it when its probe passes (scripts/ensure-runsc.sh registers cove-runsc).
    const gvisor = createDockerEngine({ workRoot, instanceId: randomInstanceId('bench'), concurrency: 1, runtime: 'runsc', runtimeProbe: { image } });
    const gvisorUnavailable = await gvisor.runtime().then(() => undefined, (err: Error) => err.message);
    let n = 0;
    const spec = (): JobSpec => ({
      jobId: `b${++n}`,
      image,
      allowedImageIds: [imageId],
      command: ['node', '-e', '0'],
      inputs: [],
      algorithm: [{ name: 'main.js', content: '0' }],
      limits: { timeoutMs: 60_000, cpus: 1, memoryBytes: 256 << 20, outputBytes: 1 << 20, tmpBytes: 1 << 20 },
      outputPolicy: { maxBytes: 1 << 20, allowedPatterns: ['*'], logs: 'none', leakGuard: { enabled: true } },
    });
    const jobOn = (e: typeof engine) => async () => {
      const { jobId } = await e.start(spec());
      const r = await e.wait(jobId);
      if (r.state !== 'succeeded') throw new Error(`bench job ${r.state}: ${r.error ?? r.reason ?? ''}`);
      e.release(jobId);
    };
    const runJob = jobOn(engine);
    const bareRun = () => sh('docker', ['run', '--rm', '--network', 'none', image, 'node', '-e', '0']);
    // The same container through the API with no workspace, mounts, policy or hardening: the runner's own cost.
    const apiRun = async () => {
      const c = await docker.createContainer({ Image: imageId, Cmd: ['node', '-e', '0'], HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'none', Config: {} } } });
      await c.start();
      await c.wait({ condition: 'not-running' });
      await c.remove({ force: true });
    };
    /** The same tiny job under runc and under runsc, interleaved, with the ratio. */
    const runtimeRows = async (): Promise<BenchRow[]> => {
      if (gvisorUnavailable) return [{ suite: 'runner', name: 'runner job under runsc (gVisor)', unit: 'ms', value: Number.NaN, note: `not measured: ${gvisorUnavailable}` }];
      const gvisorJob = jobOn(gvisor);
      await gvisorJob();
      const [runcMs, runscMs] = await interleavedMedians(RUNS, [runJob, gvisorJob]);
      const runc: BenchRow = { suite: 'runner', name: 'runner job under runc, start to collected', unit: 'ms', value: runcMs!, note: `median of ${RUNS}, interleaved with runsc` };
      const runsc: BenchRow = { suite: 'runner', name: 'runner job under runsc (gVisor, ptrace), start to collected', unit: 'ms', value: runscMs!, note: `median of ${RUNS}` };
      return [runc, against(runsc, runc)];
    };
    try {
      await bareRun(); // warm every path once
      await apiRun();
      await runJob();
      // Interleaved, so load from anything else on the host hits all three alike.
      const [bareMs, apiMs, jobMs] = await interleavedMedians(RUNS, [bareRun, apiRun, runJob]);
      const bare: BenchRow = { suite: 'runner', name: 'bare docker run --rm (node -e 0)', unit: 'ms', value: bareMs!, note: `median of ${RUNS}` };
      const api: BenchRow = { suite: 'runner', name: 'bare API create/start/wait/remove', unit: 'ms', value: apiMs!, note: `median of ${RUNS}, no log driver` };
      const job: BenchRow = { suite: 'runner', name: 'runner job, start to collected', unit: 'ms', value: jobMs!, note: `median of ${RUNS}; overhead target ≤ 250 ms` };
      const overhead: BenchRow = { suite: 'runner', name: 'runner overhead over bare docker run', unit: 'ms', value: job.value - bare.value, note: 'negative = the CLI process costs more than the runner adds' };
      const ownCost: BenchRow = { suite: 'runner', name: 'runner overhead over bare API run', unit: 'ms', value: job.value - api.value, note: 'workspace, tmpfs mount, policy, hashing, cleanup; ≤ 0 is within noise' };
      const jobs = 6 * cores;
      const bareRate: BenchRow = { suite: 'runner', name: `bare docker run, ${cores} at a time`, unit: 'jobs/min', value: await perMinute(jobs, cores, bareRun) };
      const rate: BenchRow = { suite: 'runner', name: `runner, queue full, concurrency ${cores}`, unit: 'jobs/min', value: await perMinute(jobs, jobs, runJob), note: `${jobs} jobs` };

      const out = randomBytes(4 << 20);
      const input = randomBytes(64 << 20);
      const t0 = performance.now();
      const index = createLeakIndex({ outputs: [{ name: 'o', data: out }], minRunBytes: 64 });
      const scanner = index.scanner('i');
      for (let i = 0; i < input.length; i += 1 << 20) scanner.feed(input.subarray(i, i + (1 << 20)));
      scanner.end();
      const guard: BenchRow = { suite: 'runner', name: 'leak guard scan (4 MiB outputs, 64 MiB input)', unit: 'MB/s', value: 64 / ((performance.now() - t0) / 1000) };
      return [bare, api, against(job, bare), overhead, ownCost, bareRate, against(rate, bareRate), guard, ...(await runtimeRows())];
    } finally {
      await engine.close();
      await gvisor.close();
      await rm(workRoot, { recursive: true, force: true });
    }
  },
};
