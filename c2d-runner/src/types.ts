/** One dataset mounted read-only at `/data/inputs/<assetId>/`: decrypted host files, or a whole directory. */
export type JobInput =
  | { assetId: string; files: readonly string[] }
  | { assetId: string; dir: string };

/**
 * One algorithm file, placed at `/data/transformations/algorithm/<name>`: a host path
 * (named after its basename unless `name` is given) or inline content.
 */
export type AlgorithmFile = string | { name?: string; path: string } | { name: string; content: string | Uint8Array };

export type ResourceLimits = {
  /** CPU quota in cores (fractional allowed). */
  cpus: number;
  /** Memory limit; swap is set to the same value (no swap). */
  memoryBytes: number;
  /** Maximum number of processes and threads in the container. */
  pidsLimit: number;
  /** Wall-clock limit from container start; on expiry the container is killed (`timed_out`). */
  timeoutMs: number;
  /** Hard size of the `/data/outputs` filesystem (a host tmpfs); writes beyond it fail with ENOSPC. */
  outputBytes: number;
  /** Size of the container's `/tmp` tmpfs. */
  tmpBytes: number;
};

export type LogsPolicy = 'none' | { tail: number; maxBytes: number };

export type OutputPolicy = {
  /** Total bytes of released files; more is `output_rejected`. */
  maxBytes: number;
  /**
   * The release budget: file contents, file names (UTF-8 bytes of each path), the released
   * log tail and the reason string together; more is `output_rejected` with nothing
   * released (a failed job's logs are withheld). `maxBytes` when omitted. See docs/runner.md.
   */
  maxReleaseBytes?: number;
  /** Most files a job may release (default 64); more is `output_rejected`. */
  maxFiles?: number;
  /** Globs (picomatch, on paths relative to `/data/outputs`) every output file must match. */
  allowedPatterns: readonly string[];
  /** `none`: nothing the job printed is released; otherwise the last `tail` lines, at most `maxBytes`. */
  logs: LogsPolicy;
  /** Reject outputs (files and released logs) that contain a run of input bytes of `minRunBytes` (default 64) or more. */
  leakGuard: { enabled: boolean; minRunBytes?: number };
  /**
   * Release files in formats whose loading runs code (pickle, joblib, torch zips, object
   * `.npy`; see unsafe-formats.ts). Default false: such a file is `output_rejected`.
   */
  allowUnsafeFormats?: boolean;
};

/** Everything needed to run one job. */
export type JobSpec = {
  jobId: string;
  /** Image ID (`sha256:…`) or reference; it must resolve to one of `allowedImageIds`. */
  image: string;
  allowedImageIds: readonly string[];
  /** Container command (Docker `Cmd`). */
  command?: readonly string[];
  /** Container entrypoint (Docker `Entrypoint`); the image's when omitted, none when `[]`. */
  entrypoint?: readonly string[];
  /** Working directory (default `/tmp`); must exist in the container (its tmpfs, outputs or the algorithm dir). */
  workingDir?: string;
  /** Extra `NAME=value` variables; `COVE_*` names are the runner's and refused. */
  env?: readonly string[];
  /** The `uid:gid` the job runs as (never root); the engine's user when omitted. */
  user?: string;
  inputs: readonly JobInput[];
  algorithm: readonly AlgorithmFile[];
  limits?: Partial<ResourceLimits>;
  outputPolicy: OutputPolicy;
};

export const NON_TERMINAL_STATES = ['queued', 'starting', 'running', 'collecting'] as const;
export const TERMINAL_STATES = [
  'succeeded',
  'failed',
  'timed_out',
  'oom_killed',
  'stopped',
  'output_rejected',
  'engine_error',
] as const;
export type NonTerminalState = (typeof NON_TERMINAL_STATES)[number];
export type TerminalState = (typeof TERMINAL_STATES)[number];
export type JobState = NonTerminalState | TerminalState;

/**
 * Why a job is in its state: the exit code (`failed`), the policy reason (`output_rejected`),
 * the error and, when it is a RunnerError, its code (`engine_error`, e.g. `MOUNT_NOT_PERMITTED`).
 * `logsWithheld` says why a `failed`, `timed_out` or `oom_killed` job's log tail, which the
 * policy would release, was not (e.g. `leak guard: …`); the state is unchanged by it.
 */
export type TransitionInfo = { exitCode?: number; reason?: string; error?: string; errorCode?: string; logsWithheld?: string };

export type TransitionEvent = { jobId: string; from: JobState | null; to: JobState; at: number; info: TransitionInfo };
export type TransitionListener = (event: TransitionEvent) => void;

export type JobStatus = {
  jobId: string;
  state: JobState;
  /** The resolved, allowed image ID (`sha256:…`). */
  imageId: string;
  /** sha256 over the algorithm files' canonical listing (see docs/runner.md). */
  codeHash: string;
  queuedAt: number;
  /** The OCI runtime the job runs under (`runsc`: gVisor); see docs/runner.md, Runtimes. */
  runtime?: 'runc' | 'runsc';
  startedAt?: number;
  finishedAt?: number;
} & TransitionInfo;

export type ManifestFile = { path: string; size: number; sha256: string };

export type ReleasedLogs = { stdout: string; stderr: string; truncated: boolean };

/** What a job releases: file hashes, their combined `outputsHash`, and the log tail when the policy allows. */
export type OutputManifest = { files: ManifestFile[]; outputsHash: string; logs?: ReleasedLogs };

export type ReleasedOutputs = {
  manifest: OutputManifest;
  /** The released bytes by relative path; held by the engine until `release(jobId)`. */
  files: ReadonlyMap<string, Buffer>;
};

/**
 * A terminal job. `outputs` only for `succeeded` (its log tail is `outputs.manifest.logs`);
 * `logs` only for `failed`, `timed_out` and `oom_killed`, when the policy releases logs and
 * the leak guard passed them (otherwise `logsWithheld` says why). No files for those.
 */
export type JobResult = JobStatus & { outputs?: ReleasedOutputs; logs?: ReleasedLogs };

/** A container (or a workspace left without one) that belongs to this engine instance, found after a restart. */
export type RecoveredJob = {
  jobId: string;
  containerId: string | null;
  container: 'running' | 'exited' | 'created' | 'missing' | 'other';
  exitCode?: number;
  oomKilled?: boolean;
  /** Whether the job's workspace (persisted spec, algorithm, outputs mount) is still on this host. */
  workspace: boolean;
};

/** The compute backend the provider drives: Docker today, room for others. */
export interface ComputeEngine {
  readonly instanceId: string;
  /** Validates, resolves and checks the image, then queues the job. */
  start(spec: JobSpec): Promise<JobStatus>;
  status(jobId: string): JobStatus;
  /** Resolves once the job is terminal. */
  wait(jobId: string, options?: { signal?: AbortSignal }): Promise<JobResult>;
  /** Stops a queued or running job (terminal state `stopped`). */
  stop(jobId: string): Promise<JobStatus>;
  /** The terminal result: for `succeeded` the released outputs, for `failed`/`timed_out`/`oom_killed` the released log tail. */
  collect(jobId: string): JobResult;
  /** Forgets a terminal job and drops its output bytes. */
  release(jobId: string): void;
  /** Lists this instance's containers and workspaces left by a previous process. */
  recover(): Promise<RecoveredJob[]>;
  /** Takes over a recovered job: waits for it if running, then collects under its persisted spec. */
  adopt(params: { jobId: string }): Promise<JobStatus>;
  /** Removes a recovered job's container and workspace without collecting. */
  discard(params: { jobId: string }): Promise<void>;
  onTransition(listener: TransitionListener): () => void;
  /** Stops every job, waits for their cleanup. */
  close(): Promise<void>;
}
