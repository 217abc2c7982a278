import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { createDockerEngine, createLeakIndex, randomInstanceId, type JobSpec } from '@cove/c2d-runner';
import { checkOutputs, closeOutputCheckWorkers } from '../c2d-runner/src/output-check.js';
import { applyOutputPolicy } from '../c2d-runner/src/output-policy.js';
import { TEST_IMAGES } from '../test/lib/images.js';
import { against, median, medianMs, type BenchRow, type BenchSuite } from './lib.js';

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

/** One output check watched from the main thread: its time, the longest event-loop stall, and the peak growth of the process's RSS and of the main thread's heap + ArrayBuffers. */
async function watchedCheck(fn: () => Promise<unknown>): Promise<{ ms: number; stallMs: number; rssMiB: number; heapMiB: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  const heap = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const rss0 = process.memoryUsage.rss();
  const heap0 = heap();
  let peak = rss0;
  let peakHeap = heap0;
  const sample = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    peakHeap = Math.max(peakHeap, heap());
  }, 10);
  h.enable();
  const t0 = performance.now();
  const v = (await fn()) as { verdict: string; reason?: string };
  const ms = performance.now() - t0;
  h.disable();
  clearInterval(sample);
  if (v.verdict !== 'released') throw new Error(`bench output check ${v.verdict}: ${v.reason ?? ''}`);
  return { ms, stallMs: h.max / 1e6, rssMiB: (Math.max(peak, process.memoryUsage.rss()) - rss0) / 2 ** 20, heapMiB: (Math.max(peakHeap, heap()) - heap0) / 2 ** 20 };
}

/** A file of `mib` MiB of random bytes, written 1 MiB at a time. */
async function randomFile(path: string, mib: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    for (let i = 0; i < mib; i++) await fh.write(randomBytes(1 << 20));
  } finally {
    await fh.close();
  }
}

/**
 * The output check (release budget, leak guard, manifest) in its worker thread against the
 * same call on the main thread (the baseline, interleaved in the same run), per MiB of input
 * (16/64/256 MiB, 4 KiB of output) and per MiB of output (1/8/32 MiB, 1 MiB of input), with
 * the main thread's longest event-loop stall and the process's peak RSS growth for each.
 */
async function outputCheckRows(dir: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const policy = { maxBytes: 64 << 20, allowedPatterns: ['*.json'], logs: 'none' as const, leakGuard: { enabled: true, minRunBytes: 64 } };
  const cases: Array<{ inMiB: number; outBytes: number; per: 'input' | 'output'; runs: number }> = [
    { inMiB: 16, outBytes: 4 << 10, per: 'input', runs: 3 },
    { inMiB: 64, outBytes: 4 << 10, per: 'input', runs: 3 },
    { inMiB: 256, outBytes: 4 << 10, per: 'input', runs: 2 },
    { inMiB: 1, outBytes: 1 << 20, per: 'output', runs: 3 },
    { inMiB: 1, outBytes: 8 << 20, per: 'output', runs: 3 },
    { inMiB: 1, outBytes: 32 << 20, per: 'output', runs: 3 },
  ];
  // Worker start, cold (no idle worker) and warm (reused), on an empty output.
  const empty = join(dir, 'empty');
  await mkdir(empty);
  const none = { inputs: [], outputPolicy: policy };
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    await closeOutputCheckWorkers();
    cold.push((await watchedCheck(() => checkOutputs({ outputsDir: empty, spec: none }))).ms);
    warm.push((await watchedCheck(() => checkOutputs({ outputsDir: empty, spec: none }))).ms);
  }
  const inThreadEmpty: BenchRow = { suite: 'runner', name: 'output check, empty output, in-thread', unit: 'ms', value: await medianMs(5, () => applyOutputPolicy({ outputsDir: empty, spec: none })) };
  // What an idle worker holds: the process's RSS with one idle worker against none.
  await closeOutputCheckWorkers();
  await new Promise((r) => setTimeout(r, 200));
  const rssNone = process.memoryUsage.rss();
  await checkOutputs({ outputsDir: empty, spec: none });
  const idleWorker: BenchRow = { suite: 'runner', name: 'output check, RSS of one idle worker', unit: 'MiB', value: (process.memoryUsage.rss() - rssNone) / 2 ** 20, note: 'at most 2 kept, each for 30 s' };
  rows.push(
    idleWorker,
    inThreadEmpty,
    against({ suite: 'runner', name: 'output check, empty output, worker start (cold)', unit: 'ms', value: median(cold), note: 'median of 5; a new worker thread under tsx' }, inThreadEmpty),
    against({ suite: 'runner', name: 'output check, empty output, warm worker', unit: 'ms', value: median(warm), note: 'median of 5; idle workers are reused' }, inThreadEmpty),
  );
  for (const [i, c] of cases.entries()) {
    const input = join(dir, `in-${i}.bin`);
    await randomFile(input, c.inMiB);
    const outputsDir = join(dir, `out-${i}`);
    await mkdir(outputsDir);
    // Random hex in a JSON string: shares no 64-byte run with the random input.
    await writeFile(join(outputsDir, 'o.json'), JSON.stringify(randomBytes((c.outBytes - 2) / 2).toString('hex')));
    const spec = { inputs: [{ assetId: 'a', mounts: [{ host: input, target: '/data/inputs/a/in.bin' }] }], outputPolicy: policy };
    await checkOutputs({ outputsDir, spec }); // a warm worker, as a busy provider has
    const inThread: Array<Awaited<ReturnType<typeof watchedCheck>>> = [];
    const inWorker: typeof inThread = [];
    for (let r = 0; r < c.runs; r++) {
      inThread.push(await watchedCheck(() => applyOutputPolicy({ outputsDir, spec })));
      inWorker.push(await watchedCheck(() => checkOutputs({ outputsDir, spec })));
    }
    const label = `${c.inMiB} MiB input, ${c.outBytes >= 1 << 20 ? `${c.outBytes >> 20} MiB` : `${c.outBytes >> 10} KiB`} output`;
    const perMiB = c.per === 'input' ? c.inMiB : c.outBytes / 2 ** 20;
    const pick = (xs: typeof inThread, k: 'ms' | 'stallMs' | 'rssMiB' | 'heapMiB') => median(xs.map((x) => x[k]));
    const mem = (xs: typeof inThread) => `peak RSS +${pick(xs, 'rssMiB').toFixed(0)} MiB, main-thread heap+buffers +${pick(xs, 'heapMiB').toFixed(0)} MiB`;
    const base: BenchRow = { suite: 'runner', name: `output check (${label}), in-thread, per MiB of ${c.per}`, unit: 'ms/MiB', value: pick(inThread, 'ms') / perMiB, note: `median of ${c.runs}: ${pick(inThread, 'ms').toFixed(0)} ms; ${mem(inThread)}` };
    const worker: BenchRow = { suite: 'runner', name: `output check (${label}), worker, per MiB of ${c.per}`, unit: 'ms/MiB', value: pick(inWorker, 'ms') / perMiB, note: `${pick(inWorker, 'ms').toFixed(0)} ms; ${mem(inWorker)}${c.per === 'input' ? '; the scan runs at ~5 or ~10 ms/MiB by how V8 optimized it in that thread' : ''}` };
    const stallBase: BenchRow = { suite: 'runner', name: `output check (${label}), in-thread, main-thread max stall`, unit: 'ms', value: pick(inThread, 'stallMs') };
    const stall: BenchRow = { suite: 'runner', name: `output check (${label}), worker, main-thread max stall`, unit: 'ms', value: pick(inWorker, 'stallMs') };
    rows.push(base, against(worker, base), stallBase, against(stall, stallBase));
    await rm(input, { force: true });
  }
  await closeOutputCheckWorkers();
  return rows;
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
      return [bare, api, against(job, bare), overhead, ownCost, bareRate, against(rate, bareRate), guard, ...(await runtimeRows()), ...(await outputCheckRows(await mkdtemp(join(workRoot, 'check-'))))];
    } finally {
      await engine.close();
      await gvisor.close();
      await rm(workRoot, { recursive: true, force: true });
    }
  },
};
