import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { listingHash, sha256Hex } from './hashing.js';
import { scanForLeaks } from './leak-guard.js';
import { DEFAULT_MAX_FILES, NAME_RULE_TEXT, nameRuleBroken, overBudget, releaseBytes, type NameRule } from './release-budget.js';
import type { NormalizedSpec } from './spec.js';
import type { ManifestFile, ReleasedLogs, ReleasedOutputs } from './types.js';
import { unsafeFormatOf } from './unsafe-formats.js';

export type PolicyVerdict = { verdict: 'released'; outputs: ReleasedOutputs } | { verdict: 'rejected'; reason: string };

type Collected = { ok: true; files: Array<ManifestFile & { data: Buffer }> } | { ok: false; reason: string };

const MAX_ENTRIES = 10_000;
const MAX_DEPTH = 32;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function kindOf(st: { isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  return 'special file';
}

const tooManyFiles = (maxFiles: number) => `more than ${maxFiles} output files (maxFiles)`;

type Entry = { path: string; abs: string; ino: number; size: number };

/** What the `lstat` walk found: the regular files, and how many entries break each rule. */
type Walked = { files: Entry[]; others: Map<string, number>; names: Map<NameRule, number>; unmatched: number; count: number };

async function walkOutputs(root: string, allowed: (path: string) => boolean, maxFiles: number): Promise<Walked | string> {
  const w: Walked = { files: [], others: new Map(), names: new Map(), unmatched: 0, count: 0 };
  let entries = 0;
  const broke = (rule: NameRule) => w.names.set(rule, (w.names.get(rule) ?? 0) + 1);
  async function walk(dir: string, rel: string, depth: number): Promise<string | null> {
    if (depth > MAX_DEPTH) return `output directories nested deeper than ${MAX_DEPTH}`;
    const names = (await readdir(dir, { encoding: 'buffer' })).sort(Buffer.compare);
    for (const raw of names) {
      if (++entries > MAX_ENTRIES) return `more than ${MAX_ENTRIES} output entries`;
      if (w.count > maxFiles) return tooManyFiles(maxFiles); // no need to look further
      let name: string;
      try {
        name = utf8.decode(raw);
      } catch {
        // Not UTF-8: no path the buyer could be given, whatever it is.
        w.count++;
        broke('charset');
        continue;
      }
      const st = await lstat(join(dir, name));
      if (st.isDirectory() && nameRuleBroken(name) === 'charset') {
        // Every file under it would break the charset too; one count for the directory.
        w.count++;
        broke('charset');
        continue;
      }
      const path = rel === '' ? name : `${rel}/${name}`;
      if (st.isDirectory()) {
        const inner = await walk(join(dir, name), path, depth + 1);
        if (inner) return inner;
        continue;
      }
      w.count++;
      if (!st.isFile()) {
        const kind = kindOf(st);
        w.others.set(kind, (w.others.get(kind) ?? 0) + 1);
        continue;
      }
      const rule = nameRuleBroken(path);
      if (rule) broke(rule);
      else if (!allowed(path)) w.unmatched++;
      w.files.push({ path, abs: join(dir, name), ino: st.ino, size: st.size });
    }
    return null;
  }
  const stop = await walk(root, '', 0);
  // Numbered ("output file 2 of 5") in the manifest's order: by the UTF-8 bytes of the whole path.
  w.files.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  return stop ?? w;
}

/** The first rule the walked tree breaks, worded for the buyer: counts and rule names only, never a name or a byte of content. */
function walkVerdict(w: Walked, params: { maxBytes: number; maxFiles: number }): string | null {
  if (w.count > params.maxFiles) return tooManyFiles(params.maxFiles);
  if (w.others.size > 0) {
    const n = [...w.others.values()].reduce((a, b) => a + b, 0);
    return `${plural(n, 'output entry is', 'output entries are')} not a regular file (${[...w.others.keys()].sort().join(', ')}); only regular files and directories are released`;
  }
  if (w.names.size > 0) {
    const rules = (Object.keys(NAME_RULE_TEXT) as NameRule[]).filter((r) => w.names.has(r));
    return rules.map((r) => `${plural(w.names.get(r)!, 'output file name breaks', 'output file names break')} ${NAME_RULE_TEXT[r]}`).join('; ');
  }
  if (w.unmatched > 0) return `${w.unmatched} of ${plural(w.files.length, 'output file does', 'output files do')} not match the allowed patterns`;
  if (w.files.reduce((a, f) => a + f.size, 0) > params.maxBytes) return `outputs exceed maxBytes (${params.maxBytes})`;
  return null;
}

/**
 * Reads every file under `dir` without following links. The tree is first walked with
 * `lstat` only: more than `maxFiles` files, anything but regular files and directories, a
 * name outside the safe charset or too long (release-budget.ts), a file matching none of
 * `allowedPatterns` (picomatch, relative path) or more than `maxBytes` in all is a
 * rejection; only then are the files read. Reasons give counts and rule names, never a
 * file name or content (the buyer reads them).
 *
 * @example
 * const r = await readOutputs({ dir: '/work/job/outputs', maxBytes: 1e6, allowedPatterns: ['*.json'] })
 */
export async function readOutputs(params: { dir: string; maxBytes: number; allowedPatterns: readonly string[]; maxFiles?: number }): Promise<Collected> {
  const allowed = params.allowedPatterns.length === 0 ? () => false : picomatch([...params.allowedPatterns]);
  const maxFiles = params.maxFiles ?? DEFAULT_MAX_FILES;
  let walked: Walked | string;
  try {
    walked = await walkOutputs(params.dir, allowed, maxFiles);
  } catch (err) {
    return { ok: false, reason: `outputs could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (typeof walked === 'string') return { ok: false, reason: walked };
  const verdict = walkVerdict(walked, { maxBytes: params.maxBytes, maxFiles });
  if (verdict !== null) return { ok: false, reason: verdict };

  const files: Array<ManifestFile & { data: Buffer }> = [];
  const n = walked.files.length;
  let total = 0;
  for (const [i, f] of walked.files.entries()) {
    const which = `output file ${i + 1} of ${n}`;
    let fh;
    try {
      fh = await open(f.abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      return { ok: false, reason: `${which} could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    try {
      const fst = await fh.stat();
      if (!fst.isFile() || fst.ino !== f.ino) return { ok: false, reason: `${which} changed while being read` };
      const data = await fh.readFile();
      total += data.length;
      if (total > params.maxBytes) return { ok: false, reason: `outputs exceed maxBytes (${params.maxBytes})` };
      files.push({ path: f.path, size: data.length, sha256: sha256Hex(data), data });
    } catch (err) {
      return { ok: false, reason: `${which} could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    } finally {
      await fh.close();
    }
  }
  return { ok: true, files };
}

/** Regular files of the job's inputs, named as the container sees them (`<assetId>/<path>`); links are skipped. */
export async function listInputFiles(spec: Pick<NormalizedSpec, 'inputs'>): Promise<Array<{ name: string; path: string }>> {
  const out: Array<{ name: string; path: string }> = [];
  async function walk(host: string, name: string, depth: number): Promise<void> {
    const st = await lstat(host);
    if (st.isFile()) out.push({ name, path: host });
    else if (st.isDirectory() && depth < MAX_DEPTH) {
      for (const e of (await readdir(host)).sort()) await walk(join(host, e), `${name}/${e}`, depth + 1);
    }
  }
  for (const input of spec.inputs) {
    for (const m of input.mounts) await walk(m.host, m.target.slice('/data/inputs/'.length), 0);
  }
  return out;
}

/** A released log tail as the leak guard scans it: one output per stream, labelled by stream (never by anything the job chose). */
function logOutputs(logs: ReleasedLogs): Array<{ name: string; data: Buffer }> {
  return [
    { name: 'logs:stdout', data: Buffer.from(logs.stdout) },
    { name: 'logs:stderr', data: Buffer.from(logs.stderr) },
  ];
}

/** Why a file in an unsafe format is not released: its number and the format's label, never its name or a byte of it. */
export const unsafeFormatReason = (i: number, n: number, label: string) =>
  `output file ${i} of ${n} is ${/^[aeiou]/.test(label) ? 'an' : 'a'} ${label}, an unsafe format (loading it runs code); the output policy does not allow unsafe formats`;

/**
 * The policy as applied: a spec normalized before the release budget existed (a workspace
 * adopted after an upgrade) lacks its two fields; one from before unsafe formats were
 * checked lacks `allowUnsafeFormats` (absent: not allowed).
 */
type Late = 'maxReleaseBytes' | 'maxFiles' | 'allowUnsafeFormats';
type AppliedPolicy = Omit<NormalizedSpec['outputPolicy'], Late> & Partial<Pick<NormalizedSpec['outputPolicy'], Late>>;
type PolicySpec = Pick<NormalizedSpec, 'inputs'> & { outputPolicy: AppliedPolicy };
const budgetOf = (p: AppliedPolicy) => p.maxReleaseBytes ?? p.maxBytes;

/**
 * The verbatim-leak guard over outputs about to be released, against the job's inputs:
 * `null` when clean, otherwise why they may not be released (a run found, or the
 * verification budget exceeded: fail closed). Outputs are named by labels the caller
 * chose (`output file 2 of 5`, `logs:stdout`); the reason names the label, the threshold
 * and the input's asset, never bytes or offsets.
 *
 * @example
 * const leak = await findLeak({ outputs: [{ name: 'output file 1 of 1', data }], spec })
 */
export async function findLeak(params: {
  outputs: ReadonlyArray<{ name: string; data: Uint8Array }>;
  spec: PolicySpec;
  signal?: AbortSignal;
}): Promise<string | null> {
  const minRunBytes = params.spec.outputPolicy.leakGuard.minRunBytes;
  const scan = await scanForLeaks({
    outputs: params.outputs,
    inputs: await listInputFiles(params.spec),
    minRunBytes,
    ...(params.signal && { signal: params.signal }),
  });
  if (scan.verdict === 'leak') {
    const f = scan.finding;
    return `${f.output} repeats ${minRunBytes}+ bytes of input asset ${f.input.split('/')[0]} verbatim`;
  }
  if (scan.verdict === 'budget_exceeded') return 'leak guard: verification work exceeded its budget (highly repetitive outputs)';
  return null;
}

/**
 * The log tail of a job that did not succeed (`failed`, `timed_out`, `oom_killed`): released
 * when it and the job's `reason` fit the release budget and the leak guard passes it, or
 * withheld with why. Files are never released for such jobs.
 *
 * @example
 * const r = await guardFailedLogs({ logs, spec, reason: 'wall-clock limit of 60000 ms' }) // { logs } or { withheld: 'leak guard: …' }
 */
export async function guardFailedLogs(params: {
  logs: ReleasedLogs;
  spec: PolicySpec;
  reason?: string;
  signal?: AbortSignal;
}): Promise<{ logs: ReleasedLogs } | { withheld: string }> {
  const budget = budgetOf(params.spec.outputPolicy);
  if (releaseBytes({ logs: params.logs, ...(params.reason !== undefined && { reason: params.reason }) }) > budget) {
    return { withheld: `logs exceed the release budget (maxReleaseBytes ${budget})` };
  }
  if (!params.spec.outputPolicy.leakGuard.enabled) return { logs: params.logs };
  const leak = await findLeak({ outputs: logOutputs(params.logs), spec: params.spec, ...(params.signal && { signal: params.signal }) });
  if (leak === null) return { logs: params.logs };
  return { withheld: leak.startsWith('leak guard:') ? leak : `leak guard: ${leak}` };
}

/**
 * The whole output policy, applied after the container has exited and before anything is
 * released: the file channel's caps, types, names, patterns and size; then the release
 * budget over contents, names and the log tail; then, unless `allowUnsafeFormats`, each
 * file's format (pickles and the like, by content); then the verbatim-leak guard over the
 * files and the log tail; then the manifest and `outputsHash`.
 *
 * @example
 * const v = await applyOutputPolicy({ outputsDir, spec, logs })
 * if (v.verdict === 'rejected') console.log(v.reason)
 */
export async function applyOutputPolicy(params: {
  outputsDir: string;
  spec: PolicySpec;
  logs?: ReleasedLogs;
  signal?: AbortSignal;
}): Promise<PolicyVerdict> {
  const policy = params.spec.outputPolicy;
  const collected = await readOutputs({
    dir: params.outputsDir,
    maxBytes: policy.maxBytes,
    allowedPatterns: policy.allowedPatterns,
    ...(policy.maxFiles !== undefined && { maxFiles: policy.maxFiles }),
  });
  if (!collected.ok) return { verdict: 'rejected', reason: collected.reason };
  const budget = budgetOf(policy);
  if (releaseBytes({ files: collected.files, ...(params.logs && { logs: params.logs }) }) > budget) return { verdict: 'rejected', reason: overBudget(budget) };
  if (policy.allowUnsafeFormats !== true) {
    // By content, never by name (the algorithm chose both): see unsafe-formats.ts. The reason names the label and number only.
    for (const [i, f] of collected.files.entries()) {
      const unsafe = unsafeFormatOf(f.data);
      if (unsafe !== null) return { verdict: 'rejected', reason: unsafeFormatReason(i + 1, collected.files.length, unsafe) };
    }
  }
  if (policy.leakGuard.enabled) {
    const n = collected.files.length;
    const scanned = collected.files.map((f, i) => ({ name: `output file ${i + 1} of ${n}`, data: f.data }));
    if (params.logs) scanned.push(...logOutputs(params.logs));
    const leak = await findLeak({ outputs: scanned, spec: params.spec, ...(params.signal && { signal: params.signal }) });
    if (leak !== null) return { verdict: 'rejected', reason: leak };
  }
  const manifestFiles = collected.files.map(({ path, size, sha256 }) => ({ path, size, sha256 }));
  return {
    verdict: 'released',
    outputs: {
      manifest: { files: manifestFiles, outputsHash: listingHash(manifestFiles), ...(params.logs && { logs: params.logs }) },
      files: new Map(collected.files.map((f) => [f.path, f.data])),
    },
  };
}
