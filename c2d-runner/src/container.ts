import type Docker from 'dockerode';
import { dockerRuntimeName, hostPidsLimit, type JobRuntime } from './runtime.js';
import type { NormalizedSpec } from './spec.js';
import type { Workspace } from './workspace.js';

export const LABEL_JOB = 'cove.job';
export const LABEL_ENGINE = 'cove.engine';

/** Paths and variables the algorithm sees; nothing of the provider's environment is passed. */
export const JOB_PATHS = {
  inputs: '/data/inputs',
  outputs: '/data/outputs',
  algorithm: '/data/transformations/algorithm',
} as const;

/** The container's name: unique per engine instance and job, so a second create fails. */
export function containerName(instanceId: string, jobId: string): string {
  return `cove-${instanceId}-${jobId}`;
}

/**
 * Docker create options for a job, every restriction always on: no network, read-only
 * root, all capabilities dropped, no-new-privileges, the Cove seccomp profile (`seccomp.ts`),
 * a non-root user, memory = memory+swap, CPU quota, pids limit, private IPC, and mounts only
 * of the job's own workspace and inputs.
 *
 * @example
 * await docker.createContainer(containerOptions({ spec, imageId, ws, instanceId: 'p1', user: { uid: 1000, gid: 1000 }, seccomp: loadCoveSeccompProfile(DOCKER_DEFAULT_SECCOMP_PATH) }))
 */
export function containerOptions(params: {
  spec: Pick<NormalizedSpec, 'jobId' | 'command' | 'entrypoint' | 'workingDir' | 'env' | 'inputs' | 'limits' | 'outputPolicy'>;
  imageId: string;
  ws: Pick<Workspace, 'algorithmDir' | 'outputsDir'>;
  instanceId: string;
  user: { uid: number; gid: number };
  /** The seccomp profile as a JSON string (Docker's `seccomp=<json>`). */
  seccomp: string;
  /** The OCI runtime (runc when omitted) and Docker's name for runsc; the pids limit is translated for it (`hostPidsLimit`). */
  runtime?: { kind: JobRuntime; runscName?: string };
}): Docker.ContainerCreateOptions {
  const { spec, ws, user } = params;
  const { limits } = spec;
  const runtime = params.runtime?.kind ?? 'runc';
  const logs = spec.outputPolicy.logs;
  const mounts: Docker.MountSettings[] = [
    ...spec.inputs.flatMap((i) => i.mounts.map((m) => ({ Type: 'bind' as const, Source: m.host, Target: m.target, ReadOnly: true }))),
    { Type: 'bind', Source: ws.algorithmDir, Target: JOB_PATHS.algorithm, ReadOnly: true },
    { Type: 'bind', Source: ws.outputsDir, Target: JOB_PATHS.outputs, ReadOnly: false },
  ];
  return {
    name: containerName(params.instanceId, spec.jobId),
    Image: params.imageId,
    ...(spec.command && { Cmd: spec.command }),
    // Docker resets the image's entrypoint only for [""]; an empty list would keep it.
    ...(spec.entrypoint && { Entrypoint: spec.entrypoint.length === 0 ? [''] : spec.entrypoint }),
    // The job's own variables first: the runner's COVE_* (refused in a spec) follow.
    Env: [
      ...(spec.env ?? []),
      `COVE_JOB_ID=${spec.jobId}`,
      `COVE_INPUTS=${JOB_PATHS.inputs}`,
      `COVE_OUTPUTS=${JOB_PATHS.outputs}`,
      `COVE_ALGORITHM=${JOB_PATHS.algorithm}`,
      'HOME=/tmp',
    ],
    User: `${user.uid}:${user.gid}`,
    WorkingDir: spec.workingDir ?? '/tmp',
    Labels: { [LABEL_JOB]: spec.jobId, [LABEL_ENGINE]: params.instanceId },
    NetworkDisabled: true,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      Runtime: dockerRuntimeName(runtime, params.runtime?.runscName),
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges', `seccomp=${params.seccomp}`],
      Privileged: false,
      Memory: limits.memoryBytes,
      MemorySwap: limits.memoryBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit: hostPidsLimit(runtime, limits.pidsLimit),
      IpcMode: 'private',
      ShmSize: limits.tmpBytes,
      Tmpfs: { '/tmp': `rw,nosuid,nodev,noexec,size=${limits.tmpBytes},uid=${user.uid},gid=${user.gid},mode=1777` },
      Mounts: mounts,
      Ulimits: [{ Name: 'core', Soft: 0, Hard: 0 }],
      LogConfig:
        logs === 'none'
          ? { Type: 'none', Config: {} }
          : // Bounded on the host's disk; the tail is cut again after exit.
            { Type: 'json-file', Config: { 'max-size': String(Math.max(1 << 20, 4 * logs.maxBytes)), 'max-file': '2' } },
      AutoRemove: false,
      RestartPolicy: { Name: 'no' },
    },
  };
}
