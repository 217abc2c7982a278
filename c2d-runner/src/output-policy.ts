import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { listingHash, sha256Hex } from './hashing.js';
import { scanForLeaks } from './leak-guard.js';
import type { NormalizedSpec } from './spec.js';
import type { ManifestFile, ReleasedLogs, ReleasedOutputs } from './types.js';

export type PolicyVerdict = { verdict: 'released'; outputs: ReleasedOutputs } | { verdict: 'rejected'; reason: string };

type Collected = { ok: true; files: Array<ManifestFile & { data: Buffer }> } | { ok: false; reason: string };

const MAX_ENTRIES = 10_000;
const MAX_DEPTH = 32;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function kindOf(st: { isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  return 'special file';
}

/**
 * Reads every file under `dir` without following links: only regular files and
 * directories are accepted; a symlink, FIFO, socket or device anywhere is a rejection
 * naming it. Each file must match one of `allowedPatterns` (picomatch, relative path) and
 * the total must stay within `maxBytes`.
 *
 * @example
 * const r = await readOutputs({ dir: '/work/job/outputs', maxBytes: 1e6, allowedPatterns: ['*.json'] })
 */
export async function readOutputs(params: { dir: string; maxBytes: number; allowedPatterns: readonly string[] }): Promise<Collected> {
  const allowed = params.allowedPatterns.length === 0 ? () => false : picomatch([...params.allowedPatterns]);
  const files: Array<ManifestFile & { data: Buffer }> = [];
  let total = 0;
  let entries = 0;

  async function walk(dir: string, rel: string, depth: number): Promise<string | null> {
    if (depth > MAX_DEPTH) return `${rel || '.'}: directories nested deeper than ${MAX_DEPTH}`;
    const names = (await readdir(dir, { encoding: 'buffer' })).sort(Buffer.compare);
    for (const raw of names) {
      if (++entries > MAX_ENTRIES) return `more than ${MAX_ENTRIES} entries`;
      let name: string;
      try {
        name = utf8.decode(raw);
      } catch {
        return `${rel}/${raw.toString('hex')} (hex): file name is not UTF-8`;
      }
      const path = rel === '' ? name : `${rel}/${name}`;
      if (/[\u0000-\u001f\u007f]/.test(name)) return `${JSON.stringify(path)}: control characters in a file name`;
      const abs = join(dir, name);
      const st = await lstat(abs);
      if (st.isDirectory()) {
        const inner = await walk(abs, path, depth + 1);
        if (inner) return inner;
        continue;
      }
      if (!st.isFile()) return `${path}: ${kindOf(st)} not allowed in outputs`;
      if (!allowed(path)) return `${path}: does not match the allowed patterns`;
      total += st.size;
      if (total > params.maxBytes) return `outputs exceed maxBytes (${params.maxBytes}) at ${path}`;
      const fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        const fst = await fh.stat();
        if (!fst.isFile() || fst.ino !== st.ino) return `${path}: changed while being read`;
        const data = await fh.readFile();
        total += data.length - st.size;
        if (total > params.maxBytes) return `outputs exceed maxBytes (${params.maxBytes}) at ${path}`;
        files.push({ path, size: data.length, sha256: sha256Hex(data), data });
      } finally {
        await fh.close();
      }
    }
    return null;
  }

  const reason = await walk(params.dir, '', 0);
  return reason === null ? { ok: true, files } : { ok: false, reason };
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

/** A released log tail as the leak guard scans it: one output per stream. */
function logOutputs(logs: ReleasedLogs): Array<{ name: string; data: Buffer }> {
  return [
    { name: 'logs:stdout', data: Buffer.from(logs.stdout) },
    { name: 'logs:stderr', data: Buffer.from(logs.stderr) },
  ];
}

/**
 * The verbatim-leak guard over outputs about to be released, against the job's inputs:
 * `null` when clean, otherwise why they may not be released (a run found, or the
 * verification budget exceeded: fail closed).
 *
 * @example
 * const leak = await findLeak({ outputs: [{ name: 'm.json', data }], spec })
 */
export async function findLeak(params: {
  outputs: ReadonlyArray<{ name: string; data: Uint8Array }>;
  spec: Pick<NormalizedSpec, 'inputs' | 'outputPolicy'>;
  signal?: AbortSignal;
}): Promise<string | null> {
  const scan = await scanForLeaks({
    outputs: params.outputs,
    inputs: await listInputFiles(params.spec),
    minRunBytes: params.spec.outputPolicy.leakGuard.minRunBytes,
    ...(params.signal && { signal: params.signal }),
  });
  if (scan.verdict === 'leak') {
    const f = scan.finding;
    return `${f.output} repeats ${f.length}+ bytes of input ${f.input} verbatim (output offset ${f.outputOffset}, input offset ${f.inputOffset})`;
  }
  if (scan.verdict === 'budget_exceeded') return 'leak guard: verification work exceeded its budget (highly repetitive outputs)';
  return null;
}

/**
 * The log tail of a job that did not succeed (`failed`, `timed_out`, `oom_killed`): released
 * under the same leak guard as a succeeded job's, or withheld with the reason. Files are
 * never released for such jobs.
 *
 * @example
 * const r = await guardFailedLogs({ logs, spec }) // { logs } or { withheld: 'leak guard: …' }
 */
export async function guardFailedLogs(params: {
  logs: ReleasedLogs;
  spec: Pick<NormalizedSpec, 'inputs' | 'outputPolicy'>;
  signal?: AbortSignal;
}): Promise<{ logs: ReleasedLogs } | { withheld: string }> {
  if (!params.spec.outputPolicy.leakGuard.enabled) return { logs: params.logs };
  const leak = await findLeak({ outputs: logOutputs(params.logs), spec: params.spec, ...(params.signal && { signal: params.signal }) });
  if (leak === null) return { logs: params.logs };
  return { withheld: leak.startsWith('leak guard:') ? leak : `leak guard: ${leak}` };
}

/**
 * The whole output policy, applied after the container has exited and before anything is
 * released: file types, patterns and size, then the verbatim-leak guard over the files
 * and the released log tail, then the manifest and `outputsHash`.
 *
 * @example
 * const v = await applyOutputPolicy({ outputsDir, spec, logs })
 * if (v.verdict === 'rejected') console.log(v.reason)
 */
export async function applyOutputPolicy(params: {
  outputsDir: string;
  spec: Pick<NormalizedSpec, 'inputs' | 'outputPolicy'>;
  logs?: ReleasedLogs;
  signal?: AbortSignal;
}): Promise<PolicyVerdict> {
  const policy = params.spec.outputPolicy;
  const collected = await readOutputs({ dir: params.outputsDir, maxBytes: policy.maxBytes, allowedPatterns: policy.allowedPatterns });
  if (!collected.ok) return { verdict: 'rejected', reason: collected.reason };
  if (policy.leakGuard.enabled) {
    const scanned = collected.files.map((f) => ({ name: f.path, data: f.data }));
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
