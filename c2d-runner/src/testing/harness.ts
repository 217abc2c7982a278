import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { TEST_IMAGES } from '../../../test/lib/images.js';
import { createDockerEngine, randomInstanceId, type DockerEngine } from '../docker-engine.js';
import type { RuntimeChoice } from '../runtime.js';
import type { JobResult, JobSpec, OutputPolicy, ResourceLimits } from '../types.js';

const sh = promisify(execFile);
export const docker = new Docker();

/** Image IDs of the test images, resolved once. */
export async function imageIds(): Promise<{ node: string; python: string }> {
  const [node, python] = await Promise.all([docker.getImage(TEST_IMAGES.node).inspect(), docker.getImage(TEST_IMAGES.python).inspect()]);
  return { node: node.Id, python: python.Id };
}

export type Harness = {
  engine: DockerEngine;
  workRoot: string;
  ids: { node: string; python: string };
  /** A host dir (0700) holding one input file, readable by the job's user. */
  input(name: string, content: string | Uint8Array): Promise<string>;
  /** Runs `code` (JavaScript for node, Python for python) as the algorithm and waits for the end. */
  run(params: {
    image?: 'node' | 'python';
    code: string;
    inputs?: JobSpec['inputs'];
    limits?: Partial<ResourceLimits>;
    policy?: Partial<OutputPolicy>;
    jobId?: string;
    /** Overrides of the container spec (entrypoint, command, working dir, env, user) and another image ID or reference. */
    spec?: Partial<Pick<JobSpec, 'entrypoint' | 'command' | 'workingDir' | 'env' | 'user'>> & { image?: string };
    /** More algorithm files beside the main one (relative path → content). */
    files?: Record<string, string>;
  }): Promise<JobResult>;
  /** Asserts no container, mount or workspace of this engine remains. */
  assertClean(): Promise<void>;
  close(): Promise<void>;
};

export const DEFAULT_POLICY: OutputPolicy = { maxBytes: 1 << 20, allowedPatterns: ['*.json'], logs: 'none', leakGuard: { enabled: true } };

let counter = 0;

/**
 * A real engine on the local Docker engine with its own instance id and work root.
 *
 * @example
 * const h = await createHarness(); const r = await h.run({ code: 'process.exit(3)' }); await h.close()
 */
export async function createHarness(params: { concurrency?: number; runtime?: RuntimeChoice; runscRuntimeName?: string } = {}): Promise<Harness> {
  const ids = await imageIds();
  const workRoot = await mkdtemp(join(tmpdir(), 'cove-runner-'));
  const dataRoot = await mkdtemp(join(tmpdir(), 'cove-inputs-'));
  const instanceId = randomInstanceId('test');
  const engine = createDockerEngine({
    workRoot,
    instanceId,
    concurrency: params.concurrency ?? 2,
    ...(params.runtime && { runtime: params.runtime, runtimeProbe: { image: TEST_IMAGES.node } }),
    ...(params.runscRuntimeName && { runscRuntimeName: params.runscRuntimeName }),
  });
  const h: Harness = {
    engine,
    workRoot,
    ids,
    async input(name, content) {
      const dir = join(dataRoot, `in-${++counter}`);
      await mkdir(dir, { mode: 0o700 });
      const file = join(dir, name);
      await writeFile(file, content);
      await chmod(file, 0o644);
      return file;
    },
    async run({ image = 'node', code, inputs = [], limits, policy, jobId, spec = {}, files = {} }) {
      const id = jobId ?? `job-${++counter}`;
      const main = image === 'node' ? 'main.js' : 'main.py';
      await engine.start({
        jobId: id,
        image: spec.image ?? TEST_IMAGES[image],
        allowedImageIds: [spec.image ?? ids[image]],
        command: [image === 'node' ? 'node' : 'python3', `/data/transformations/algorithm/${main}`],
        ...spec,
        inputs,
        algorithm: [{ name: main, content: code }, ...Object.entries(files).map(([name, content]) => ({ name, content }))],
        limits: { timeoutMs: 60_000, memoryBytes: 256 << 20, outputBytes: 4 << 20, tmpBytes: 4 << 20, pidsLimit: 64, ...limits },
        outputPolicy: { ...DEFAULT_POLICY, ...policy },
      });
      const result = await engine.wait(id);
      // A harness asked for one runtime proves every job ran under it (`auto` may fall back).
      if (params.runtime === 'runc' || params.runtime === 'runsc') assert.equal(result.runtime, params.runtime, `job ${id} ran under ${result.runtime}`);
      return result;
    },
    async assertClean() {
      const { stdout } = await sh('docker', ['ps', '-aq', '--filter', `label=cove.engine=${instanceId}`]);
      assert.equal(stdout.trim(), '', 'containers left behind');
      const mounts = await readFile('/proc/mounts', 'utf8');
      assert.ok(!mounts.includes(workRoot), 'mounts left behind');
      const left = await sh('find', [workRoot, '-mindepth', '2']);
      assert.equal(left.stdout.trim(), '', 'workspace files left behind');
    },
    async close() {
      await engine.close();
      await rm(workRoot, { recursive: true, force: true });
      await rm(dataRoot, { recursive: true, force: true });
    },
  };
  return h;
}

/** The JSON file an algorithm wrote to report what it observed. */
export function observed(result: JobResult, name = 'obs.json'): Record<string, unknown> {
  const bytes = result.outputs?.files.get(name);
  assert.ok(bytes, `no ${name} released (state ${result.state}${result.reason ? `: ${result.reason}` : ''}${result.error ? `: ${result.error}` : ''})`);
  return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
}
