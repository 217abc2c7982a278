import type { ReleasedLogs } from './types.js';

/**
 * Limits of the file channel (docs/runner.md "Release budget"): what a job may name and
 * how many files it may release. Names are the buyer's to read, so they are data too;
 * these keep them few, short and plain, and always packable in the result bundle (ustar:
 * a name field of 100 bytes, a prefix of 155).
 */
export const DEFAULT_MAX_FILES = 64;
/** Bytes of one path segment (a ustar name field holds 100). */
export const MAX_SEGMENT_BYTES = 100;
/** Bytes of a whole relative path. */
export const MAX_PATH_BYTES = 128;
/** One path segment: the safe charset, never starting with a dot (no hidden files, no `.`/`..`). */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** The rule a name breaks, as the buyer may read it (it never quotes the name). */
export type NameRule = 'charset' | 'segment_length' | 'path_length';

export const NAME_RULE_TEXT: Readonly<Record<NameRule, string>> = {
  charset: 'the charset rule ([A-Za-z0-9._-] per segment, no leading dot)',
  segment_length: `the segment length rule (at most ${MAX_SEGMENT_BYTES} bytes)`,
  path_length: `the path length rule (at most ${MAX_PATH_BYTES} bytes)`,
};

/**
 * The first rule a relative output path (`/`-separated) breaks, or null when it is a name
 * the runner releases: segments of `[A-Za-z0-9._-]` not starting with `.`, each at most
 * 100 bytes, the whole at most 128.
 *
 * @example
 * nameRuleBroken('plots/roc.json') // null
 * nameRuleBroken('my model.pkl')   // 'charset'
 */
export function nameRuleBroken(path: string): NameRule | null {
  const segments = path.split('/');
  if (!segments.every((s) => SEGMENT.test(s))) return 'charset';
  if (segments.some((s) => s.length > MAX_SEGMENT_BYTES)) return 'segment_length';
  if (path.length > MAX_PATH_BYTES) return 'path_length';
  return null;
}

/**
 * Bytes a release hands the buyer, counted against `maxReleaseBytes`: every file's
 * content and the UTF-8 bytes of its path, the released log tail (both streams) and the
 * reason string, when there is one.
 *
 * @example
 * releaseBytes({ files: [{ path: 'm.json', size: 10 }], logs: { stdout: 'ok\n', stderr: '', truncated: false } }) // 19
 */
export function releaseBytes(params: { files?: ReadonlyArray<{ path: string; size: number }>; logs?: ReleasedLogs; reason?: string }): number {
  let total = 0;
  for (const f of params.files ?? []) total += f.size + Buffer.byteLength(f.path);
  if (params.logs) total += Buffer.byteLength(params.logs.stdout) + Buffer.byteLength(params.logs.stderr);
  if (params.reason) total += Buffer.byteLength(params.reason);
  return total;
}

/** The rejection reason when a release goes over its budget: the rule and the budget, never what was in it. */
export const overBudget = (maxReleaseBytes: number) => `outputs exceed the release budget (maxReleaseBytes ${maxReleaseBytes}: file contents, file names and logs together)`;
