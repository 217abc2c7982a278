import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { containerName, containerOptions } from './container.js';
import { engineUnavailable, isNotFound, killQuietly, registerWait, removeQuietly, type DockerApi, type ExitStatus } from './docker-api.js';
import { RunnerError } from './errors.js';
import { listingHash, sha256Hex } from './hashing.js';
import { demuxLogs, tailLogs } from './logs.js';
import { checkFailedLogs, checkFailureOutcome, checkOutputs, failedLogsDeadline, logsWithheldBy } from './output-check.js';
import { resolveImageId, loadAlgorithmFiles } from './prepare.js';
import { createJobQueue } from './queue.js';
import { findRecoverable } from './recovery.js';
import { probeRuntime, resolveRuntime, RUNSC_RUNTIME_NAME, withDeadline, type JobRuntime, type RuntimeChoice, type RuntimeInfo } from './runtime.js';
import { DOCKER_DEFAULT_SECCOMP_PATH, loadCoveSeccompProfile } from './seccomp.js';
import { normalizeSpec, type NormalizedSpec } from './spec.js';
import { canTransition, isTerminal } from './state.js';
import type { ComputeEngine, JobResult, JobSpec, JobState, JobStatus, LogsPolicy, ReleasedLogs, ReleasedOutputs, TerminalState, TransitionInfo, TransitionListener } from './types.js';
import { createWorkspace, destroyWorkspace, readPersistedJob, systemMounter, workspacePaths, type Mounter, type PersistedJob, type Workspace } from './workspace.js';

export type DockerEngineOptions = {
  /** dockerode or anything with the same few methods; a local `new Docker()` by default. */
  docker?: DockerApi;
  /** Host directory for job workspaces; this instance uses `<workRoot>/<instanceId>/`. */
  workRoot: string;
  /** Names this engine's containers (label `cove.engine`); stable across restarts so `recover()` finds them. */
  instanceId: string;
  /** Jobs running at once. */
  concurrency: number;
  /** Jobs allowed to wait; more is `QUEUE_FULL`. Unlimited by default. */
  queueLimit?: number;
  /** Host mounts for the size-capped outputs tmpfs; the system's `mount` by default. */
  mounter?: Mounter;
  /** The uid/gid jobs run as (1000:1000 by default). */
  user?: { uid: number; gid: number };
  /**
   * Docker's default seccomp profile, from which the jobs' profile is derived at creation
   * (`DOCKER_DEFAULT_SECCOMP_PATH` by default); missing or unparsable is `SECCOMP_PROFILE_UNAVAILABLE`.
   */
  seccompBaseProfile?: string;
  /**
   * The OCI runtime jobs run under (docs/runner.md, Runtimes): `runc` (the default), `runsc`
   * (gVisor; when its probe fails every job start is `RUNTIME_UNAVAILABLE`, failing closed) or
   * `auto` (runsc when its probe passes, else runc). The probe runs once, at creation.
   */
  runtime?: RuntimeChoice;
  /** The probe container for `runsc`/`auto`: a local image whose `command` exits 0 (`node -e 0` by default), within `deadlineMs` (20 s). */
  runtimeProbe?: { image: string; command?: readonly string[]; deadlineMs?: number };
  /** Docker's name of the gVisor runtime; `cove-runsc`, as scripts/ensure-runsc.sh registers it. */
  runscRuntimeName?: string;
  /** How long `docker start` of a job's container may take; beyond it the job is `engine_error` (`START_TIMEOUT`). 30 s by default. */
  startTimeoutMs?: number;
  onTransition?: TransitionListener;
};

/** The Docker engine: a ComputeEngine that also says which runtime its jobs run under. */
export type DockerEngine = ComputeEngine & {
  /** The runtime decided by the probe at creation; rejects with `RUNTIME_UNAVAILABLE` for `runtime: 'runsc'` when the probe failed. */
  runtime(): Promise<RuntimeInfo>;
};

type Outcome = { state: TerminalState; info: TransitionInfo; outputs?: ReleasedOutputs; logs?: ReleasedLogs };

/** The whole (size-bounded) log, tailed per stream here: Docker's own tail mixes the streams. */
async function readLogTail(container: Docker.Container, policy: Exclude<LogsPolicy, 'none'>): Promise<ReleasedLogs> {
  return tailLogs(demuxLogs(await container.logs({ stdout: true, stderr: true, follow: false })), policy);
}

type Rec = {
  status: JobStatus;
  spec: NormalizedSpec;
  files: Array<{ name: string; content: Uint8Array }> | null;
  stopRequested: boolean;
  timedOut: boolean;
  kill?: () => Promise<void>;
  result?: JobResult;
  done: Promise<JobResult>;
  settle: (r: JobResult) => void;
};

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const exists = (p: string) => stat(p).then(() => true, () => false);

/**
 * The Docker compute engine: a FIFO queue of hardened, network-less containers whose
 * outputs are released only through the output policy (see docs/runner.md).
 *
 * @example
 * const engine = createDockerEngine({ workRoot: '/var/lib/cove/jobs', instanceId: 'provider-1', concurrency: 2 })
 * await engine.start({ jobId: 'j1', image: 'sha256:…', allowedImageIds: ['sha256:…'], command: ['node', '/data/transformations/algorithm/main.js'],
 *   inputs: [{ assetId: 'a1', files: ['/plain/a1/data.csv'] }], algorithm: [{ name: 'main.js', content: src }],
 *   outputPolicy: { maxBytes: 1 << 20, allowedPatterns: ['*.json'], logs: 'none', leakGuard: { enabled: true } } })
 * const result = await engine.wait('j1') // result.outputs?.manifest.outputsHash
 * engine.release('j1')
 */
export function createDockerEngine(options: DockerEngineOptions): DockerEngine {
  if (!ID.test(options.instanceId)) throw new RunnerError('INVALID_SPEC', `instanceId must match ${ID.source}`, { details: { field: 'instanceId' } });
  const seccomp = loadCoveSeccompProfile(options.seccompBaseProfile ?? DOCKER_DEFAULT_SECCOMP_PATH);
  const docker: DockerApi = options.docker ?? new Docker();
  const mounter = options.mounter ?? systemMounter();
  const user = options.user ?? { uid: 1000, gid: 1000 };
  const root = join(options.workRoot, options.instanceId);
  const instanceId = options.instanceId;
  const runscName = options.runscRuntimeName ?? RUNSC_RUNTIME_NAME;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const choice = options.runtime ?? 'runc';
  const probe = options.runtimeProbe;
  if (choice !== 'runc' && !probe) throw new RunnerError('INVALID_SPEC', `runtime ${choice} needs runtimeProbe (a local image to probe it with)`, { details: { field: 'runtimeProbe' } });
  const runtimeInfo = resolveRuntime(choice, () =>
    probeRuntime({ docker, runtimeName: runscName, image: probe!.image, command: probe!.command ?? ['node', '-e', '0'], seccomp, user, deadlineMs: probe!.deadlineMs ?? 20_000 }),
  );
  runtimeInfo.catch(() => {}); // reported by runtime() and every start()
  const listeners = new Set<TransitionListener>(options.onTransition ? [options.onTransition] : []);
  const jobs = new Map<string, Rec>();
  const reserved = new Set<string>();
  let closed = false;
  const queue = createJobQueue({ concurrency: options.concurrency, ...(options.queueLimit !== undefined && { limit: options.queueLimit }), run: runQueued });

  function transition(rec: Rec, to: JobState, info: TransitionInfo = {}, at = Date.now()): void {
    const from = jobs.get(rec.status.jobId) === rec && rec.status.state !== undefined ? rec.status.state : null;
    if (!canTransition(from, to)) throw new RunnerError('INVALID_SPEC', `illegal transition ${from} → ${to}`, { details: { jobId: rec.status.jobId } });
    rec.status = { ...rec.status, state: to, ...info };
    if (to === 'running') rec.status.startedAt = at;
    if (isTerminal(to)) rec.status.finishedAt = at;
    for (const l of listeners) {
      try {
        l({ jobId: rec.status.jobId, from, to, at, info });
      } catch {
        // a listener's failure must not derail the job
      }
    }
  }

  function get(jobId: string): Rec {
    const rec = jobs.get(jobId);
    if (!rec) throw new RunnerError('JOB_NOT_FOUND', `no job ${jobId}`, { details: { jobId } });
    return rec;
  }

  function newRec(spec: NormalizedSpec, job: Omit<PersistedJob, 'spec'>, files: Rec['files']): Rec {
    let settle!: (r: JobResult) => void;
    const done = new Promise<JobResult>((r) => (settle = r));
    const status = { jobId: spec.jobId, imageId: job.imageId, codeHash: job.codeHash, queuedAt: job.queuedAt } as JobStatus;
    return { status, spec, files, stopRequested: false, timedOut: false, done, settle };
  }

  /** Watches a started container to its end and decides the outcome (outputs on success, the log tail on failure). */
  async function supervise(rec: Rec, container: Docker.Container, ws: Workspace, exited: Promise<ExitStatus>, startedAt: number): Promise<Outcome> {
    transition(rec, 'running', {}, startedAt);
    rec.kill = () => killQuietly(container);
    const timer = setTimeout(() => {
      rec.timedOut = true;
      void rec.kill?.().catch(() => {});
    }, Math.max(0, rec.spec.limits.timeoutMs - (Date.now() - startedAt)));
    if (rec.stopRequested) void rec.kill().catch(() => {});
    let exit: ExitStatus;
    try {
      exit = await exited;
    } finally {
      clearTimeout(timer);
    }
    // The container is gone; a stop from here on stops the output check (run in a worker, output-check.ts).
    const checking = new AbortController();
    rec.kill = async () => checking.abort();
    const state = (await container.inspect()).State;
    const exitCode = typeof state.ExitCode === 'number' ? state.ExitCode : exit.StatusCode;
    if (rec.stopRequested) return { state: 'stopped', info: { exitCode } };
    const failedLogs = { startedAt, signal: checking.signal };
    if (rec.timedOut) return withFailureLogs(rec, container, { state: 'timed_out', info: { exitCode, reason: `wall-clock limit of ${rec.spec.limits.timeoutMs} ms` } }, failedLogs);
    if (state.OOMKilled) return withFailureLogs(rec, container, { state: 'oom_killed', info: { exitCode, reason: `memory limit of ${rec.spec.limits.memoryBytes} bytes` } }, failedLogs);
    if (exitCode !== 0) return withFailureLogs(rec, container, { state: 'failed', info: { exitCode } }, failedLogs);

    transition(rec, 'collecting', { exitCode });
    const policy = rec.spec.outputPolicy;
    const logs = policy.logs === 'none' ? undefined : await readLogTail(container, policy.logs);
    // Within the job's time budget, counted from its start as the kill timer is.
    const bounds = { deadline: startedAt + rec.spec.limits.timeoutMs, signal: checking.signal };
    let verdict;
    try {
      verdict = await checkOutputs({ outputsDir: ws.outputsDir, spec: rec.spec, ...(logs && { logs }) }, bounds);
    } catch (err) {
      if (rec.stopRequested) return { state: 'stopped', info: { exitCode } };
      return checkFailureOutcome(err, { timeoutMs: rec.spec.limits.timeoutMs, exitCode, logsPolicy: policy.logs });
    }
    if (rec.stopRequested) return { state: 'stopped', info: { exitCode } };
    if (verdict.verdict === 'rejected') return { state: 'output_rejected', info: { exitCode, reason: verdict.reason } };
    return { state: 'succeeded', info: { exitCode }, outputs: verdict.outputs };
  }

  /**
   * A job that did not succeed keeps its state and releases no files, but its log tail is
   * released when the policy allows logs and the leak guard passes them (read before the
   * container is removed). The guard runs in a worker within what remains of the job's time
   * budget, at least `FAILED_LOGS_MIN_MS` (output-check.ts). Anything that prevents that
   * withholds the logs, failing closed.
   */
  async function withFailureLogs(rec: Rec, container: Docker.Container, outcome: Outcome, check: { startedAt: number; signal: AbortSignal }): Promise<Outcome> {
    const policy = rec.spec.outputPolicy.logs;
    if (policy === 'none') return outcome;
    try {
      const logs = await readLogTail(container, policy);
      const bounds = { deadline: failedLogsDeadline(check.startedAt, rec.spec.limits.timeoutMs), signal: check.signal };
      const guarded = await checkFailedLogs({ logs, spec: rec.spec, ...(outcome.info.reason !== undefined && { reason: outcome.info.reason }) }, bounds);
      if ('logs' in guarded) return { ...outcome, logs: guarded.logs };
      return { ...outcome, info: { ...outcome.info, logsWithheld: guarded.withheld } };
    } catch (err) {
      if (rec.stopRequested) return { state: 'stopped', info: { ...(outcome.info.exitCode !== undefined && { exitCode: outcome.info.exitCode }) } };
      // The error's text may quote paths; the buyer reads this, so it names the step only.
      return { ...outcome, info: { ...outcome.info, logsWithheld: logsWithheldBy(err) } };
    }
  }

  /** Removes the container and the workspace, then records the terminal state. */
  async function finish(rec: Rec, container: Docker.Container | undefined, ws: Workspace | undefined, outcome: Outcome): Promise<void> {
    try {
      if (container) await removeQuietly(container);
      if (ws) await destroyWorkspace(ws, mounter);
    } catch (err) {
      outcome = { state: 'engine_error', info: { error: `cleanup failed: ${(err as Error).message}` } };
    }
    rec.kill = undefined;
    transition(rec, outcome.state, outcome.info);
    rec.result = { ...rec.status, ...(outcome.outputs && { outputs: outcome.outputs }), ...(outcome.logs && { logs: outcome.logs }) };
    rec.settle(rec.result);
  }

  const runtimeOf = (name: string | undefined): JobRuntime => (name === runscName ? 'runsc' : 'runc');

  const errorOutcome = (err: unknown): Outcome => ({
    state: 'engine_error',
    info: { error: (err as Error).message ?? String(err), ...(err instanceof RunnerError && { errorCode: err.code }) },
  });

  async function runQueued(jobId: string): Promise<void> {
    const rec = jobs.get(jobId);
    if (!rec || rec.status.state !== 'queued') return;
    transition(rec, 'starting');
    let ws: Workspace | undefined;
    let container: Docker.Container | undefined;
    let outcome: Outcome;
    try {
      const { algorithm, ...rest } = rec.spec;
      const job: PersistedJob = { spec: { ...rest, algorithm: algorithm.map((f) => ({ name: f.name })) }, imageId: rec.status.imageId, codeHash: rec.status.codeHash, queuedAt: rec.status.queuedAt };
      const jobUser = rec.spec.user ?? user;
      ws = await createWorkspace({ root, job, files: rec.files ?? [], mounter, uid: jobUser.uid, gid: jobUser.gid });
      rec.files = null;
      if (rec.stopRequested) outcome = { state: 'stopped', info: {} };
      else {
        const runtime = { kind: rec.status.runtime ?? 'runc', runscName };
        const c = await docker.createContainer(containerOptions({ spec: rec.spec, imageId: rec.status.imageId, ws, instanceId, user: jobUser, seccomp, runtime }));
        container = c;
        if (rec.stopRequested) outcome = { state: 'stopped', info: {} };
        else {
          const { exited } = await registerWait(docker, c.id, 'next-exit');
          // A start that never returns (gVisor below its pids overhead hangs there) must not hold the job.
          await withDeadline(c.start(), startTimeoutMs, () => new RunnerError('START_TIMEOUT', `the container did not start within ${startTimeoutMs} ms`, { details: { jobId, runtime: runtime.kind } }));
          outcome = await supervise(rec, c, ws, exited, Date.now());
        }
      }
    } catch (err) {
      outcome = errorOutcome(err);
    }
    await finish(rec, container, ws, outcome);
  }

  const engine: DockerEngine = {
    instanceId,

    runtime() {
      return runtimeInfo;
    },

    async start(input: JobSpec) {
      if (closed) throw new RunnerError('ENGINE_CLOSED', 'the engine is closed');
      const spec = normalizeSpec(input);
      const { runtime } = await runtimeInfo;
      const jobId = spec.jobId;
      if (jobs.has(jobId) || reserved.has(jobId)) throw new RunnerError('JOB_EXISTS', `job ${jobId} already exists`, { details: { jobId } });
      reserved.add(jobId);
      try {
        if (await exists(workspacePaths(root, jobId).dir)) {
          throw new RunnerError('JOB_EXISTS', `job ${jobId} has a workspace left by an earlier process; adopt or discard it`, { details: { jobId } });
        }
        const imageId = await resolveImageId(docker, spec.image, spec.allowedImageIds);
        const files = await loadAlgorithmFiles(spec);
        const codeHash = listingHash(files.map((f) => ({ path: f.name, sha256: sha256Hex(f.content) })));
        if (options.queueLimit !== undefined && queue.waiting.length >= options.queueLimit) {
          throw new RunnerError('QUEUE_FULL', `the queue already holds ${options.queueLimit} jobs`, { details: { limit: options.queueLimit } });
        }
        const rec = newRec(spec, { imageId, codeHash, queuedAt: Date.now() }, files);
        rec.status.runtime = runtime;
        jobs.set(jobId, rec);
        transition(rec, 'queued', {}, rec.status.queuedAt);
        queue.enqueue(jobId);
        return { ...rec.status };
      } finally {
        reserved.delete(jobId);
      }
    },

    status(jobId) {
      return { ...get(jobId).status };
    },

    async wait(jobId, opts = {}) {
      const rec = get(jobId);
      if (!opts.signal) return rec.done;
      const signal = opts.signal;
      signal.throwIfAborted();
      return new Promise<JobResult>((resolve, reject) => {
        const onAbort = () => reject(new RunnerError('ABORTED', `stopped waiting for job ${jobId}`, { cause: signal.reason }));
        signal.addEventListener('abort', onAbort, { once: true });
        void rec.done.then((r) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        });
      });
    },

    async stop(jobId) {
      const rec = get(jobId);
      if (isTerminal(rec.status.state)) return { ...rec.status };
      rec.stopRequested = true;
      if (rec.status.state === 'queued' && queue.remove(jobId)) {
        transition(rec, 'stopped');
        rec.result = { ...rec.status };
        rec.settle(rec.result);
      } else if (rec.kill) await rec.kill();
      return { ...(await rec.done) };
    },

    collect(jobId) {
      const rec = get(jobId);
      if (!rec.result) throw new RunnerError('JOB_NOT_FINISHED', `job ${jobId} is ${rec.status.state}`, { details: { jobId, state: rec.status.state } });
      return rec.result;
    },

    release(jobId) {
      const rec = get(jobId);
      if (!rec.result) throw new RunnerError('JOB_NOT_FINISHED', `job ${jobId} is ${rec.status.state}`, { details: { jobId, state: rec.status.state } });
      jobs.delete(jobId);
    },

    recover: () => findRecoverable({ docker, root, instanceId, managed: (id) => jobs.has(id) || reserved.has(id) }),

    async adopt({ jobId }) {
      if (jobs.has(jobId) || reserved.has(jobId)) throw new RunnerError('JOB_EXISTS', `job ${jobId} is already managed by this engine`, { details: { jobId } });
      const ws = workspacePaths(root, jobId);
      const job = await readPersistedJob(ws);
      if (!job) throw new RunnerError('WORKSPACE_MISSING', `job ${jobId} has no workspace to collect from; discard it`, { details: { jobId } });
      const spec = job.spec as NormalizedSpec;
      const rec = newRec(spec, job, null);
      jobs.set(jobId, rec);
      const container = docker.getContainer(containerName(instanceId, jobId));
      let info: Docker.ContainerInspectInfo | undefined;
      try {
        info = await container.inspect();
      } catch (err) {
        if (!isNotFound(err)) {
          jobs.delete(jobId);
          throw engineUnavailable(err, 'inspecting the container');
        }
      }
      if (info) rec.status.runtime = runtimeOf(info.HostConfig.Runtime);
      const startedAt = info ? Date.parse(info.State.StartedAt) || Date.now() : Date.now();
      void (async () => {
        let outcome: Outcome;
        try {
          if (!info) {
            transition(rec, 'running', {}, startedAt);
            outcome = { state: 'engine_error', info: { error: 'the container was lost while the engine was down' } };
          } else {
            const { exited } = await registerWait(docker, container.id, 'not-running');
            outcome = await supervise(rec, container, ws, exited, startedAt);
          }
        } catch (err) {
          outcome = errorOutcome(err);
        }
        await finish(rec, info ? container : undefined, ws, outcome);
      })();
      return { ...rec.status };
    },

    async discard({ jobId }) {
      if (jobs.has(jobId)) throw new RunnerError('JOB_EXISTS', `job ${jobId} is managed by this engine; stop it instead`, { details: { jobId } });
      try {
        await removeQuietly(docker.getContainer(containerName(instanceId, jobId)));
      } catch (err) {
        throw engineUnavailable(err, 'removing the container');
      }
      await destroyWorkspace(workspacePaths(root, jobId), mounter);
    },

    onTransition(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      closed = true;
      await Promise.all([...jobs.keys()].map((id) => engine.stop(id)));
    },
  };
  return engine;
}

/** A fresh instance id for tests and one-off engines (`recover()` needs a stable one in production). */
export function randomInstanceId(prefix = 'cove'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
