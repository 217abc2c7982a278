/**
 * Base of every error the SDK throws. `code` is stable (tests and callers match on it,
 * never on the message); `details` carries what helps diagnosis; `cause` the original.
 */
export class CoveError<Code extends string = string> extends Error {
  override name = 'CoveError';
  readonly code: Code;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: Code, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

/** True when `err` is a CoveError, optionally with the given code. */
export function isCoveError(err: unknown, code?: string): err is CoveError {
  return err instanceof CoveError && (code === undefined || err.code === code);
}
