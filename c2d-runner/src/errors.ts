/** Stable codes of every error the runner throws; callers and tests match on these. */
export type RunnerErrorCode =
  | 'IMAGE_NOT_ALLOWED'
  | 'IMAGE_NOT_FOUND'
  | 'JOB_NOT_FOUND'
  | 'JOB_EXISTS'
  | 'JOB_NOT_FINISHED'
  | 'QUEUE_FULL'
  | 'INVALID_SPEC'
  | 'ENGINE_UNAVAILABLE'
  | 'ENGINE_CLOSED'
  | 'MOUNT_NOT_PERMITTED'
  | 'WORKSPACE_MISSING'
  | 'SECCOMP_PROFILE_UNAVAILABLE'
  | 'RUNTIME_UNAVAILABLE'
  | 'START_TIMEOUT'
  | 'ABORTED';

/**
 * Base of every error the runner throws. `code` is stable; `details` carries what helps
 * diagnosis; `cause` the original error.
 *
 * @example
 * try { await engine.start(spec) } catch (err) {
 *   if (isRunnerError(err, 'IMAGE_NOT_ALLOWED')) console.error(err.details)
 * }
 */
export class RunnerError extends Error {
  override name = 'RunnerError';
  readonly code: RunnerErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: RunnerErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

/** True when `err` is a RunnerError, optionally with the given code. */
export function isRunnerError(err: unknown, code?: RunnerErrorCode): err is RunnerError {
  return err instanceof RunnerError && (code === undefined || err.code === code);
}
