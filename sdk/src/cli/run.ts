import type { GlobalOptions } from './context.js';

/**
 * Wraps a command's action: hands it the global options and turns any failure into one
 * coded line and a non-zero exit (see `printError`).
 */
export type Run = <A extends unknown[]>(fn: (opts: GlobalOptions, ...args: A) => Promise<void>) => (...args: A) => Promise<void>;
