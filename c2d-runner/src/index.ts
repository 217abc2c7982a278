export { RunnerError, isRunnerError, type RunnerErrorCode } from './errors.js';
export type {
  AlgorithmFile,
  ComputeEngine,
  JobInput,
  JobResult,
  JobSpec,
  JobState,
  JobStatus,
  LogsPolicy,
  ManifestFile,
  NonTerminalState,
  OutputManifest,
  OutputPolicy,
  RecoveredJob,
  ReleasedLogs,
  ReleasedOutputs,
  ResourceLimits,
  TerminalState,
  TransitionEvent,
  TransitionInfo,
  TransitionListener,
} from './types.js';
export { NON_TERMINAL_STATES, TERMINAL_STATES } from './types.js';
export { createDockerEngine, randomInstanceId, type DockerEngine, type DockerEngineOptions } from './docker-engine.js';
export { hostPidsLimit, RUNSC_PIDS_OVERHEAD, RUNSC_RUNTIME_NAME, type JobRuntime, type RuntimeChoice, type RuntimeInfo } from './runtime.js';
export type { DockerApi } from './docker-api.js';
export { DEFAULT_LIMITS, DEFAULT_MIN_RUN_BYTES, normalizeSpec } from './spec.js';
export { listingHash, sha256Hex } from './hashing.js';
export { createLeakIndex, scanForLeaks, type LeakFinding, type LeakScanResult } from './leak-guard.js';
export { JOB_PATHS, LABEL_ENGINE, LABEL_JOB } from './container.js';
export { AF_VSOCK, coveSeccompProfile, DOCKER_DEFAULT_SECCOMP_PATH, loadCoveSeccompProfile, REMOVED_SYSCALLS, type SeccompProfile } from './seccomp.js';
export { systemMounter, type Mounter } from './workspace.js';
export { isTerminal } from './state.js';
