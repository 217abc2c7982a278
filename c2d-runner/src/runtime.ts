import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { registerWait, removeQuietly, type DockerApi } from './docker-api.js';
import { RunnerError } from './errors.js';

/** What the engine is asked to run jobs under: gVisor when the host allows it (`auto`), gVisor or nothing (`runsc`), or plain runc. */
export type RuntimeChoice = 'auto' | 'runsc' | 'runc';
/** The OCI runtime a job ran under. */
export type JobRuntime = 'runc' | 'runsc';

/** The runtime name `scripts/ensure-runsc.sh` registers with Docker. */
export const RUNSC_RUNTIME_NAME = 'cove-runsc';

/**
 * Host tasks a gVisor sandbox uses before the job's first process: the sentry's and gofer's
 * threads (measured 40–50 idle on 2 CPUs with Debian's runsc 20221219 on the ptrace platform;
 * `docker start` fails or hangs below about 48–56). Added to the job's pids limit under runsc.
 */
export const RUNSC_PIDS_OVERHEAD = 64;

/**
 * The pids limit Docker enforces on the host for a job limited to `pidsLimit` processes and
 * threads. Under runsc it is the job's limit plus {@link RUNSC_PIDS_OVERHEAD}: each process
 * inside costs the host about 5 tasks on the ptrace platform, so the job gets fewer processes
 * than under runc, never more (the limit stays a fork-bomb stop, stricter under gVisor).
 *
 * @example
 * hostPidsLimit('runsc', 256) // 320
 */
export function hostPidsLimit(runtime: JobRuntime, pidsLimit: number): number {
  return runtime === 'runsc' ? pidsLimit + RUNSC_PIDS_OVERHEAD : pidsLimit;
}

/** Docker's `HostConfig.Runtime` for a job runtime. */
export function dockerRuntimeName(runtime: JobRuntime, runscName: string = RUNSC_RUNTIME_NAME): string {
  return runtime === 'runsc' ? runscName : 'runc';
}

/** The runtime jobs run under, and why runsc was not used when `auto` fell back to runc. */
export type RuntimeInfo = { runtime: JobRuntime; choice: RuntimeChoice; fallbackReason?: string };

/** Races `p` against a deadline; on expiry `onTimeout` runs and the result rejects with its error. */
export async function withDeadline<T>(p: Promise<T>, ms: number, onTimeout: () => RunnerError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  p.catch(() => {}); // settled later than the deadline: not an unhandled rejection
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export type ProbeParams = {
  docker: DockerApi;
  /** Docker's name for the runtime under test (`cove-runsc`). */
  runtimeName: string;
  /** A local image (reference or ID) holding `command`. */
  image: string;
  command: readonly string[];
  /** The jobs' seccomp profile (JSON), so the probe runs as confined as a job. */
  seccomp: string;
  user: { uid: number; gid: number };
  /** Create + start + exit must finish within this long. */
  deadlineMs: number;
};

/**
 * Runs one tiny container under `runtimeName` with a job's restrictions (no network,
 * read-only root, no capabilities, the seccomp profile, the translated pids limit) and
 * resolves when it exits 0 in time. Being listed in `docker info` proves nothing: a runtime
 * entry can be registered yet fail every start. Any failure is `RUNTIME_UNAVAILABLE`.
 *
 * @example
 * await probeRuntime({ docker, runtimeName: 'cove-runsc', image: 'cove/node-runtime:24', command: ['node', '-e', '0'], seccomp, user: { uid: 1000, gid: 1000 }, deadlineMs: 20_000 })
 */
export async function probeRuntime(params: ProbeParams): Promise<void> {
  const { docker, runtimeName } = params;
  const fail = (why: string, cause?: unknown) =>
    new RunnerError('RUNTIME_UNAVAILABLE', `runtime ${runtimeName} failed its probe: ${why}`, { details: { runtime: runtimeName, image: params.image }, ...(cause !== undefined && { cause }) });
  let container: Docker.Container | undefined;
  const run = async () => {
    try {
      container = await docker.createContainer({
        name: `cove-probe-${randomUUID().slice(0, 12)}`,
        Image: params.image,
        Cmd: [...params.command],
        User: `${params.user.uid}:${params.user.gid}`,
        Labels: { 'cove.probe': runtimeName },
        NetworkDisabled: true,
        HostConfig: {
          Runtime: runtimeName,
          NetworkMode: 'none',
          ReadonlyRootfs: true,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges', `seccomp=${params.seccomp}`],
          PidsLimit: hostPidsLimit(runtimeName === 'runc' ? 'runc' : 'runsc', 32),
          LogConfig: { Type: 'none', Config: {} },
          AutoRemove: false,
        },
      });
    } catch (err) {
      throw fail(`create: ${(err as Error).message}`, err);
    }
    let exit;
    try {
      const { exited } = await registerWait(docker, container.id, 'next-exit');
      await container.start();
      exit = await exited;
    } catch (err) {
      throw fail(`start: ${(err as Error).message}`, err);
    }
    if (exit.StatusCode !== 0) throw fail(`the probe exited ${exit.StatusCode}`);
  };
  try {
    await withDeadline(run(), params.deadlineMs, () => fail(`no exit within ${params.deadlineMs} ms`));
  } finally {
    // Bounded too: a container stuck in start may not answer its removal at once.
    if (container) await withDeadline(removeQuietly(container), 10_000, () => fail('removal timed out')).catch(() => {});
  }
}

/**
 * Decides the runtime for an engine: `runc` without a probe; `runsc` when its probe passes,
 * else the probe's `RUNTIME_UNAVAILABLE` (fail closed); `auto` runsc when the probe passes,
 * else runc with the probe's message as `fallbackReason`.
 */
export async function resolveRuntime(choice: RuntimeChoice, probe: () => Promise<void>): Promise<RuntimeInfo> {
  if (choice === 'runc') return { runtime: 'runc', choice };
  try {
    await probe();
    return { runtime: 'runsc', choice };
  } catch (err) {
    if (choice === 'runsc') throw err;
    return { runtime: 'runc', choice, fallbackReason: (err as Error).message };
  }
}
