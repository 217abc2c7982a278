import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { checkFailedLogs, checkOutputs, closeOutputCheckWorkers, OutputCheckError } from './output-check.js';
import { applyOutputPolicy, guardFailedLogs } from './output-policy.js';
import { createHarness, type Harness } from './testing/harness.js';
import type { JobResult } from './types.js';

/** A sparse file of zeros: costs nothing to make, but the leak guard reads and scans every byte of it. */
async function sparseInput(h: Harness, name: string, bytes: number): Promise<string> {
  const file = await h.input(name, '');
  await truncate(file, bytes);
  return file;
}

/** The event loop's longest stall and its utilization between `start()` and `stop()`, from a 5 ms tick. */
function loopWatch() {
  let last = 0;
  let maxGap = 0;
  let timer: NodeJS.Timeout | undefined;
  let elu0: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  return {
    start() {
      last = performance.now();
      elu0 = performance.eventLoopUtilization();
      timer = setInterval(() => {
        const t = performance.now();
        maxGap = Math.max(maxGap, t - last);
        last = t;
      }, 5);
    },
    stop() {
      clearInterval(timer);
      return { maxStallMs: Math.max(maxGap, performance.now() - last), utilization: performance.eventLoopUtilization(elu0).utilization };
    },
  };
}

const FILES = { 'metrics.json': '{"auc":0.91}', 'plots/roc.json': '[[0,0],[1,1]]', 'empty.json': '' };

describe('the output check in a worker thread', () => {
  const dirs: string[] = [];
  after(async () => {
    await closeOutputCheckWorkers();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  async function tree(files: Record<string, string | Uint8Array>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'cove-check-'));
    dirs.push(dir);
    for (const [name, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    return dir;
  }
  const policy = { maxBytes: 1 << 20, allowedPatterns: ['**/*.json'], logs: 'none' as const, leakGuard: { enabled: true, minRunBytes: 16 } };

  it('gives the in-thread verdicts: released (manifest, bytes as Buffers), rejected, leak, and the log guard', async () => {
    const input = await tree({ 'data.csv': 'id,secret\n1,the-quick-brown-fox-jumps\n' });
    const spec = { inputs: [{ assetId: 'a', mounts: [{ host: join(input, 'data.csv'), target: '/data/inputs/a/data.csv' }] }], outputPolicy: policy };
    const logs = { stdout: 'epoch 1\n', stderr: '', truncated: false };
    const cases = [await tree(FILES), await tree({ ...FILES, 'x.bin': 'nope' }), await tree({ 'leak.json': '"1,the-quick-brown-fox-jumps"' })];
    for (const outputsDir of cases) {
      const inThread = await applyOutputPolicy({ outputsDir, spec, logs });
      const inWorker = await checkOutputs({ outputsDir, spec, logs });
      assert.deepEqual(inWorker, inThread);
      if (inWorker.verdict === 'released') for (const b of inWorker.outputs.files.values()) assert.ok(Buffer.isBuffer(b));
    }
    for (const l of [logs, { ...logs, stderr: 'bad row 1,the-quick-brown-fox-jumps' }]) {
      assert.deepEqual(await checkFailedLogs({ logs: l, spec, reason: 'r' }), await guardFailedLogs({ logs: l, spec, reason: 'r' }));
    }
  });

  it('ends at its deadline or its signal, and a check that throws says only its code', async () => {
    const spec = { inputs: [], outputPolicy: policy };
    const outputsDir = await tree(FILES);
    await assert.rejects(checkOutputs({ outputsDir, spec }, { deadline: Date.now() - 1 }), (e) => e instanceof OutputCheckError && e.kind === 'timeout');
    await assert.rejects(checkOutputs({ outputsDir, spec }, { signal: AbortSignal.abort() }), (e) => e instanceof OutputCheckError && e.kind === 'aborted');
    const missing = join(outputsDir, 'no-such-input.csv');
    const bad = { inputs: [{ assetId: 'a', mounts: [{ host: missing, target: '/data/inputs/a/x.csv' }] }], outputPolicy: policy };
    await assert.rejects(checkOutputs({ outputsDir, spec: bad }), (e) => e instanceof OutputCheckError && e.kind === 'failed' && e.message === 'the output check failed (ENOENT)');
  });
});

describe('the output check on real containers: time budget and main-thread responsiveness', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ concurrency: 2 });
  });
  afterEach(async () => h.assertClean());
  after(async () => {
    await h.close();
    await closeOutputCheckWorkers();
  });

  it('ends a job whose output check outlasts its time budget timed_out, releasing nothing', async () => {
    const input = await sparseInput(h, 'big.bin', 2 ** 31); // 2 GiB: ≥ 5 s to scan on any host we run on
    const timeoutMs = 3000;
    const r = await h.run({
      inputs: [{ assetId: 'a', files: [input] }],
      limits: { timeoutMs },
      policy: { logs: { tail: 10, maxBytes: 1024 } },
      code: `console.log('done'); require('fs').writeFileSync('/data/outputs/r.json', JSON.stringify(require('crypto').randomBytes(2048).toString('hex')));`,
    });
    assert.equal(r.state, 'timed_out', r.reason ?? r.error);
    assert.equal(r.reason, `wall-clock limit of ${timeoutMs} ms (reached while checking outputs)`);
    assert.equal(r.exitCode, 0);
    assert.equal(r.outputs, undefined);
    assert.equal(r.logs, undefined);
    assert.equal(r.logsWithheld, 'logs could not be checked in time');
    // Cut at the deadline, not run to the end: cleanup is all that follows it.
    assert.ok(r.finishedAt! - r.startedAt! < timeoutMs + 2000, `took ${r.finishedAt! - r.startedAt!} ms`);
  });

  it('stops a job during its output check', async () => {
    const input = await sparseInput(h, 'big.bin', 2 ** 31);
    const off = h.engine.onTransition((e) => {
      if (e.jobId === 'stop-collecting' && e.to === 'collecting') setTimeout(() => void h.engine.stop(e.jobId), 300); // inside the scan
    });
    const r = await h.run({ jobId: 'stop-collecting', inputs: [{ assetId: 'a', files: [input] }], code: `require('fs').writeFileSync('/data/outputs/r.json', '"' + 'x1'.repeat(512) + '"');` });
    off();
    assert.equal(r.state, 'stopped');
    assert.equal(r.outputs, undefined);
    assert.ok(r.finishedAt! - r.startedAt! < 10_000);
  });

  it('keeps the main thread responsive while it checks 48 MiB of output against 256 MiB of input', async () => {
    // In-thread, the index and hashes over 48 MiB of output stalled this loop for ~0.4 s at once, and the input scan kept it busy throughout.
    const input = await sparseInput(h, 'big.bin', 256 << 20);
    const watch = loopWatch();
    let seen: { maxStallMs: number; utilization: number } | undefined;
    let collectingAt = 0;
    const off = h.engine.onTransition((e) => {
      if (e.jobId !== 'responsive') return;
      if (e.to === 'collecting') {
        collectingAt = Date.now();
        watch.start();
      } else if (collectingAt && !seen) seen = watch.stop();
    });
    const r: JobResult = await h.run({
      jobId: 'responsive',
      inputs: [{ assetId: 'a', files: [input] }],
      limits: { outputBytes: 64 << 20, memoryBytes: 512 << 20 },
      policy: { maxBytes: 64 << 20 },
      code: `require('fs').writeFileSync('/data/outputs/big.json', JSON.stringify(require('crypto').randomBytes(24 << 20).toString('hex')));`,
    });
    off();
    assert.equal(r.state, 'succeeded', r.reason ?? r.error);
    assert.equal(r.outputs!.files.get('big.json')!.length, (48 << 20) + 2);
    assert.ok(seen, 'no collecting phase seen');
    const collectMs = r.finishedAt! - collectingAt;
    assert.ok(collectMs > 1000, `the check took ${collectMs} ms: too short to show anything`);
    assert.ok(seen.maxStallMs < 200, `main thread stalled ${seen.maxStallMs.toFixed(0)} ms`);
    assert.ok(seen.utilization < 0.5, `main thread busy ${(seen.utilization * 100).toFixed(0)}% of the check`);
  });

  it('a check that fails ends the job engine_error naming no file', async () => {
    const input = await h.input('secret-name-7f3a.csv', 'id\n1\n');
    const off = h.engine.onTransition((e) => {
      if (e.jobId === 'lost-input' && e.to === 'running') void unlink(input);
    });
    const r = await h.run({ jobId: 'lost-input', inputs: [{ assetId: 'a', files: [input] }], code: `setTimeout(() => require('fs').writeFileSync('/data/outputs/r.json', '{}'), 800);` });
    off();
    assert.equal(r.state, 'engine_error');
    assert.equal(r.error, 'the output check failed (ENOENT); nothing was released');
    assert.equal(r.outputs, undefined);
  });

  it('releases the same manifest and bytes as the in-thread policy over the same files', async () => {
    const r = await h.run({
      policy: { allowedPatterns: ['**/*.json'] },
      code: `const fs = require('fs'); fs.mkdirSync('/data/outputs/plots');
        for (const [n, c] of Object.entries(${JSON.stringify(FILES)})) fs.writeFileSync('/data/outputs/' + n, c);`,
    });
    assert.equal(r.state, 'succeeded', r.reason ?? r.error);
    const dir = await mkdtemp(join(tmpdir(), 'cove-check-'));
    try {
      await mkdir(join(dir, 'plots'));
      for (const [n, c] of Object.entries(FILES)) await writeFile(join(dir, n), c);
      const inThread = await applyOutputPolicy({ outputsDir: dir, spec: { inputs: [], outputPolicy: { maxBytes: 1 << 20, allowedPatterns: ['**/*.json'], logs: 'none', leakGuard: { enabled: true, minRunBytes: 64 } } } });
      assert.equal(inThread.verdict, 'released');
      if (inThread.verdict === 'released') {
        assert.deepEqual(r.outputs!.manifest, inThread.outputs.manifest);
        assert.deepEqual(r.outputs!.files, inThread.outputs.files);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
