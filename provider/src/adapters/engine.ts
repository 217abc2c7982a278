import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { isRunnerError, TERMINAL_STATES, type ComputeEngine, type JobResult, type ReleasedLogs } from '@cove/c2d-runner';
import { packBundleBytes } from '@cove/sdk';
import type { EngineOutcome, EnginePort, RecoveredJob } from '../ports.js';

const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;
/** `name[:tag][@sha256:…]`, name = lower-case components joined by `/` (Docker's grammar, without registry ports). */
const IMAGE_REF = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;

/** Log bytes released per job at most (the policy's `tail` bounds lines, this bounds bytes). */
const MAX_LOG_BYTES = 64 * 1024;
/**
 * The log tail gets at most a quarter of the release budget, so a chatty algorithm's tail
 * is cut to fit rather than taking the whole budget and getting its model rejected.
 */
const logBytes = (o: { maxReleaseBytes?: number | undefined }) => Math.max(1, Math.min(MAX_LOG_BYTES, Math.floor((o.maxReleaseBytes ?? Infinity) / 4)));

// The runner's ids are at most 64 characters: a provider job id without its 0x.
const toRunner = (jobId: string) => jobId.replace(/^0x/, '');
const fromRunner = (id: string) => (id.startsWith('0x') ? id : `0x${id}`);

/** The released log tail as one text: stdout, then stderr under a marker. */
const logText = (l: ReleasedLogs) => [l.stdout, l.stderr ? `--- stderr ---\n${l.stderr}` : ''].filter(Boolean).join('\n') + (l.truncated ? '\n[truncated]' : '');

/**
 * The c2d-runner engine behind the provider's EnginePort: builds the runner's JobSpec
 * from the prepared workspace, turns released outputs into one deterministic tar bundle
 * (`<workspace>/result.tar`), and adopts containers recovered after a restart.
 * @example
 * const engine = createEngineAdapter({ engine: createDockerEngine({...}), docker: new Docker(), workRoot });
 */
export function createEngineAdapter(params: { engine: ComputeEngine; docker: Pick<Docker, 'getImage'>; workRoot: string }): EnginePort {
  const { engine } = params;
  const adopted = new Set<string>();

  async function toOutcome(jobId: string, r: JobResult): Promise<EngineOutcome> {
    const why = r.reason ?? r.error ?? (r.exitCode !== undefined ? `exit code ${r.exitCode}` : undefined);
    const base = {
      status: r.state as EngineOutcome['status'],
      // A failed job's log tail withheld by the leak guard: the job keeps its state, the reason says so.
      reason: r.logsWithheld ? `${why ?? r.state}; logs withheld: ${r.logsWithheld}` : why,
      imageDigest: r.imageId,
      codeHash: r.codeHash ? fromRunner(r.codeHash) : undefined,
      runtime: r.runtime,
      startedAt: r.startedAt ?? r.queuedAt,
      finishedAt: r.finishedAt ?? Date.now(),
    };
    const out = r.outputs;
    // failed, timed_out, oom_killed: no files, but the log tail the policy and the leak guard released.
    if (r.state !== 'succeeded' || !out) return r.logs ? { ...base, logs: logText(r.logs) } : base;
    let bundle: Buffer;
    try {
      bundle = packBundleBytes(out.files);
    } catch {
      // The runner refuses names the bundle cannot take; should one get through, the job's
      // outputs are refused, never turned into an engine error quoting the name.
      return { ...base, status: 'output_rejected', reason: 'an output file name cannot be packed in the result bundle' };
    }
    const bundlePath = join(params.workRoot, jobId, 'result.tar');
    await writeFile(bundlePath, bundle, { mode: 0o600 });
    const l = out.manifest.logs;
    const logs = l ? logText(l) : undefined;
    return {
      ...base,
      manifest: { files: out.manifest.files, outputsHash: fromRunner(out.manifest.outputsHash) },
      bundlePath,
      logs,
    };
  }

  return {
    async start(spec, options) {
      const ws = spec.workspace;
      const id = toRunner(spec.jobId);
      const off = engine.onTransition((e) => {
        if (e.jobId !== id) return;
        if (e.to === 'running') options?.onRunning?.();
        if (e.to === 'running' || TERMINAL_STATES.includes(e.to as never)) off();
      });
      await engine.start({
        jobId: toRunner(spec.jobId),
        image: spec.algorithm.image,
        allowedImageIds: [spec.algorithm.image],
        entrypoint: spec.algorithm.entrypoint,
        command: spec.algorithm.command,
        workingDir: spec.algorithm.workingDir,
        env: spec.algorithm.env,
        user: spec.algorithm.user,
        inputs: spec.assetIds.map((assetId) => ({ assetId, dir: join(ws, 'inputs', assetId) })),
        algorithm: spec.algorithmFiles.map((name) => ({ name, path: join(ws, 'algorithm', ...name.split('/')) })),
        limits: {
          cpus: spec.limits.cpus,
          memoryBytes: spec.limits.memoryBytes,
          pidsLimit: spec.limits.pidsLimit,
          timeoutMs: spec.limits.timeoutSeconds * 1000,
          outputBytes: spec.limits.outputBytes,
        },
        outputPolicy: {
          maxBytes: spec.output.maxBytes,
          // Absent only in a job stored before the release budget existed: the runner then holds everything to maxBytes.
          ...(spec.output.maxReleaseBytes !== undefined && { maxReleaseBytes: spec.output.maxReleaseBytes }),
          allowedPatterns: spec.output.allowedPatterns,
          logs: spec.output.logs === 'none' ? 'none' : { tail: spec.output.logs.tail, maxBytes: logBytes(spec.output) },
          leakGuard: spec.output.leakGuard,
          // Absent (a job stored before the field existed) or false: the runner refuses unsafe formats.
          allowUnsafeFormats: spec.output.allowUnsafeFormats === true,
        },
      });
    },

    async wait(jobId) {
      const id = toRunner(jobId);
      let result: JobResult;
      if (adopted.has(id)) {
        await engine.adopt({ jobId: id });
        result = await engine.wait(id);
      } else {
        result = await engine.wait(id);
      }
      try {
        return await toOutcome(jobId, result);
      } finally {
        engine.release(id);
        adopted.delete(id);
      }
    },

    async stop(jobId) {
      try {
        await engine.stop(toRunner(jobId));
      } catch (err) {
        if (!isRunnerError(err, 'JOB_NOT_FOUND')) throw err;
      }
    },

    async recover() {
      const found: RecoveredJob[] = [];
      for (const r of await engine.recover()) {
        if ((r.container === 'running' || r.container === 'exited') && r.workspace) {
          adopted.add(r.jobId);
          found.push({ jobId: fromRunner(r.jobId), state: r.container });
        } else {
          // A container that never started or lost its workspace cannot be collected.
          await engine.discard({ jobId: r.jobId });
        }
      }
      return found;
    },

    async discard(jobId) {
      const id = toRunner(jobId);
      adopted.delete(id);
      await engine.discard({ jobId: id });
    },

    async resolveImage(ref) {
      // Only an image ID or a plain reference reaches the Docker API: a crafted string
      // (`../host:port/x`) would steer the client's request path.
      if (!IMAGE_ID.test(ref) && !IMAGE_REF.test(ref)) return undefined;
      try {
        return (await params.docker.getImage(ref).inspect()).Id;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    },
  };
}
