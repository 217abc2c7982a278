import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ComputeEngine, JobResult, JobSpec } from '@cove/c2d-runner';
import type { EngineJobSpec } from '../ports.js';
import { createEngineAdapter } from './engine.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A runner that records the spec it was given and ends every job with `result`. */
function fakeRunner(result: (spec: JobSpec) => JobResult): { engine: ComputeEngine; specs: JobSpec[] } {
  const specs: JobSpec[] = [];
  const engine = {
    instanceId: 'fake',
    async start(spec: JobSpec) {
      specs.push(spec);
      return result(spec);
    },
    onTransition: () => () => {},
    async wait(jobId: string) {
      return result(specs.find((s) => s.jobId === jobId)!);
    },
    release() {},
  } as unknown as ComputeEngine;
  return { engine, specs };
}

const spec = (output: EngineJobSpec['output']): EngineJobSpec => ({
  jobId: '0x' + 'ab'.repeat(32),
  algorithm: { image: 'sha256:' + '0'.repeat(64), entrypoint: [], command: ['python3', 'main.py'], workingDir: '/data/transformations/algorithm', env: [], user: '1000:1000' },
  workspace: '/nonexistent',
  assetIds: ['1'],
  algorithmFiles: ['main.py'],
  limits: { cpus: 1, memoryBytes: 2 ** 28, timeoutSeconds: 60, pidsLimit: 64, outputBytes: 2 ** 20 },
  output,
});
const base = { jobId: 'ab'.repeat(32), imageId: 'sha256:' + '0'.repeat(64), codeHash: '11'.repeat(32), queuedAt: 1, startedAt: 2, finishedAt: 3, exitCode: 0 };

describe('engine adapter: release budget', () => {
  it('passes the release budget to the runner and gives the log tail a quarter of it (64 KiB at most)', async () => {
    const { engine, specs } = fakeRunner(() => ({ ...base, state: 'failed' }));
    const adapter = createEngineAdapter({ engine, docker: { getImage: () => { throw new Error('unused'); } } as never, workRoot: '/nonexistent' });
    const output: EngineJobSpec['output'] = { maxBytes: 2 ** 20, allowedPatterns: ['*.json'], logs: { tail: 20 }, leakGuard: { enabled: true, minRunBytes: 64 } };
    await adapter.start(spec({ ...output, maxReleaseBytes: 64 * 1024 }));
    assert.equal(specs[0]!.outputPolicy.maxReleaseBytes, 64 * 1024);
    assert.deepEqual(specs[0]!.outputPolicy.logs, { tail: 20, maxBytes: 16 * 1024 });
    await adapter.start(spec({ ...output, maxReleaseBytes: 10 * 2 ** 20 }));
    assert.deepEqual(specs[1]!.outputPolicy.logs, { tail: 20, maxBytes: 64 * 1024 });
  });

  it('passes allowUnsafeFormats to the runner: false unless the policy says true (a job stored before the field: false)', async () => {
    const { engine, specs } = fakeRunner(() => ({ ...base, state: 'failed' }));
    const adapter = createEngineAdapter({ engine, docker: { getImage: () => { throw new Error('unused'); } } as never, workRoot: '/nonexistent' });
    const output: EngineJobSpec['output'] = { maxBytes: 2 ** 20, maxReleaseBytes: 2 ** 16, allowedPatterns: ['*.json'], logs: 'none', leakGuard: { enabled: true, minRunBytes: 64 } };
    await adapter.start(spec(output));
    await adapter.start(spec({ ...output, allowUnsafeFormats: false }));
    await adapter.start(spec({ ...output, allowUnsafeFormats: true }));
    assert.deepEqual(specs.map((s) => s.outputPolicy.allowUnsafeFormats), [false, false, true]);
  });

  it('refuses outputs the bundle cannot take as output_rejected, never quoting the name', async () => {
    const workRoot = await mkdtemp(join(tmpdir(), 'cove-engine-'));
    dirs.push(workRoot);
    const jobId = '0x' + 'ab'.repeat(32);
    await mkdir(join(workRoot, jobId));
    const name = 'x'.repeat(120) + '/' + 'secret'.repeat(20);
    const { engine } = fakeRunner(() => ({
      ...base,
      state: 'succeeded',
      outputs: { manifest: { files: [{ path: name, size: 1, sha256: '00'.repeat(32) }], outputsHash: '22'.repeat(32) }, files: new Map([[name, Buffer.from('x')]]) },
    }));
    const adapter = createEngineAdapter({ engine, docker: {} as never, workRoot });
    const outcome = await adapter.wait(jobId);
    assert.equal(outcome.status, 'output_rejected');
    assert.equal(outcome.reason, 'an output file name cannot be packed in the result bundle');
    assert.equal(outcome.bundlePath, undefined);
  });
});
