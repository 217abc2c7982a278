import { basename, isAbsolute } from 'node:path';
import { RunnerError } from './errors.js';
import { DEFAULT_MAX_FILES } from './release-budget.js';
import type { AlgorithmFile, JobSpec, LogsPolicy, ResourceLimits } from './types.js';

/** Limits used for any field a spec leaves out. */
export const DEFAULT_LIMITS: Readonly<ResourceLimits> = Object.freeze({
  cpus: 1,
  memoryBytes: 512 * 1024 * 1024,
  pidsLimit: 128,
  timeoutMs: 10 * 60_000,
  outputBytes: 64 * 1024 * 1024,
  tmpBytes: 64 * 1024 * 1024,
});

export const DEFAULT_MIN_RUN_BYTES = 64;
const MIN_RUN_FLOOR = 8;
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export type NormalizedInput = { assetId: string; mounts: Array<{ host: string; target: string }> };
export type NormalizedAlgorithmFile = { name: string; path?: string; content?: Uint8Array };

/** A validated spec with defaults filled in; this (minus inline content) is what a workspace persists. */
export type NormalizedSpec = {
  jobId: string;
  image: string;
  allowedImageIds: string[];
  command?: string[];
  entrypoint?: string[];
  workingDir?: string;
  env: string[];
  user?: { uid: number; gid: number };
  inputs: NormalizedInput[];
  algorithm: NormalizedAlgorithmFile[];
  limits: ResourceLimits;
  outputPolicy: {
    maxBytes: number;
    maxReleaseBytes: number;
    maxFiles: number;
    allowedPatterns: string[];
    logs: LogsPolicy;
    leakGuard: { enabled: boolean; minRunBytes: number };
    allowUnsafeFormats: boolean;
  };
};

function invalid(field: string, message: string): never {
  throw new RunnerError('INVALID_SPEC', `${field}: ${message}`, { details: { field } });
}

function positive(field: string, v: unknown, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    invalid(field, `must be a positive ${integer ? 'integer' : 'number'}`);
  }
  return v;
}

function strings(field: string, v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) invalid(field, 'must be an array of strings');
  return [...v];
}

/** A relative path with no empty, `.` or `..` segment (so it cannot leave its directory). */
export function isSafeRelativePath(p: string): boolean {
  if (p.length === 0 || p.length > 1024 || p.startsWith('/') || p.includes('\0')) return false;
  return p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

function algorithmFile(f: AlgorithmFile, i: number): NormalizedAlgorithmFile {
  const field = `algorithm[${i}]`;
  if (typeof f === 'string') f = { path: f };
  if (typeof f !== 'object' || f === null) invalid(field, 'must be a path or an object');
  if ('content' in f) {
    const content = typeof f.content === 'string' ? new TextEncoder().encode(f.content) : f.content;
    if (!(content instanceof Uint8Array)) invalid(field, 'content must be a string or bytes');
    if (typeof f.name !== 'string' || !isSafeRelativePath(f.name)) invalid(field, 'name must be a safe relative path');
    return { name: f.name, content };
  }
  if (typeof f.path !== 'string' || !isAbsolute(f.path)) invalid(field, 'path must be absolute');
  const name = f.name ?? basename(f.path);
  if (!isSafeRelativePath(name)) invalid(field, 'name must be a safe relative path');
  return { name, path: f.path };
}

function logsPolicy(v: unknown): LogsPolicy {
  if (v === 'none') return 'none';
  if (typeof v !== 'object' || v === null) invalid('outputPolicy.logs', "must be 'none' or { tail, maxBytes }");
  const l = v as { tail?: unknown; maxBytes?: unknown };
  return { tail: positive('outputPolicy.logs.tail', l.tail, true), maxBytes: positive('outputPolicy.logs.maxBytes', l.maxBytes, true) };
}

/**
 * Validates a job spec and fills in defaults; throws `INVALID_SPEC` naming the field.
 *
 * @example
 * const spec = normalizeSpec({ jobId: 'j1', image: 'sha256:…', allowedImageIds: ['sha256:…'],
 *   inputs: [], algorithm: [{ name: 'main.js', content: '…' }],
 *   outputPolicy: { maxBytes: 1e6, allowedPatterns: ['*.json'], logs: 'none', leakGuard: { enabled: true } } })
 */
export function normalizeSpec(spec: JobSpec): NormalizedSpec {
  if (typeof spec !== 'object' || spec === null) invalid('spec', 'must be an object');
  if (typeof spec.jobId !== 'string' || !ID.test(spec.jobId)) invalid('jobId', 'must match ' + ID.source);
  if (typeof spec.image !== 'string' || spec.image.length === 0) invalid('image', 'must be a non-empty string');
  const allowedImageIds = strings('allowedImageIds', spec.allowedImageIds);
  const command = spec.command === undefined ? undefined : strings('command', spec.command);
  const entrypoint = spec.entrypoint === undefined ? undefined : strings('entrypoint', spec.entrypoint);
  for (const [field, list] of [['command', command], ['entrypoint', entrypoint]] as const) {
    if (list?.some((a) => a.includes('\0'))) invalid(field, 'must not contain NUL');
  }
  const workingDir = spec.workingDir;
  if (workingDir !== undefined && (typeof workingDir !== 'string' || !isAbsolute(workingDir) || workingDir.includes('\0') || workingDir.split('/').includes('..'))) {
    invalid('workingDir', 'must be an absolute path without ..');
  }
  const env = spec.env === undefined ? [] : strings('env', spec.env);
  const names = new Set<string>();
  for (const e of env) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(e);
    if (!m || e.includes('\0')) invalid('env', 'entries must be NAME=value without NUL');
    if (m[1]!.toUpperCase().startsWith('COVE_')) invalid('env', `${m[1]} is set by the runner`);
    if (names.has(m[1]!)) invalid('env', `${m[1]} given twice`);
    names.add(m[1]!);
  }
  let user: { uid: number; gid: number } | undefined;
  if (spec.user !== undefined) {
    const m = typeof spec.user === 'string' ? /^([0-9]{1,10}):([0-9]{1,10})$/.exec(spec.user) : null;
    if (!m) invalid('user', 'must be uid:gid');
    user = { uid: Number(m[1]), gid: Number(m[2]) };
    if (user.uid === 0 || user.gid === 0 || user.uid > 0xfffffffe || user.gid > 0xfffffffe) invalid('user', 'must not be root or the root group, and must be valid ids');
  }

  if (!Array.isArray(spec.inputs)) invalid('inputs', 'must be an array');
  const assets = new Set<string>();
  const inputs = spec.inputs.map((input, i): NormalizedInput => {
    const field = `inputs[${i}]`;
    if (typeof input?.assetId !== 'string' || !ID.test(input.assetId)) invalid(`${field}.assetId`, 'must match ' + ID.source);
    if (assets.has(input.assetId)) invalid(`${field}.assetId`, 'duplicate asset');
    assets.add(input.assetId);
    const root = `/data/inputs/${input.assetId}`;
    if ('dir' in input) {
      if (typeof input.dir !== 'string' || !isAbsolute(input.dir)) invalid(`${field}.dir`, 'must be an absolute path');
      return { assetId: input.assetId, mounts: [{ host: input.dir, target: root }] };
    }
    const files = strings(`${field}.files`, input.files);
    const names = new Set<string>();
    return {
      assetId: input.assetId,
      mounts: files.map((host, j) => {
        if (!isAbsolute(host)) invalid(`${field}.files[${j}]`, 'must be an absolute path');
        const name = basename(host);
        if (names.has(name)) invalid(`${field}.files[${j}]`, `two files named ${name}`);
        names.add(name);
        return { host, target: `${root}/${name}` };
      }),
    };
  });

  if (!Array.isArray(spec.algorithm) || spec.algorithm.length === 0) invalid('algorithm', 'must list at least one file');
  const algorithm = spec.algorithm.map(algorithmFile);
  const seen = new Set<string>();
  for (const f of algorithm) {
    if (seen.has(f.name)) invalid('algorithm', `two files named ${f.name}`);
    seen.add(f.name);
  }

  const l = { ...DEFAULT_LIMITS, ...spec.limits };
  const limits: ResourceLimits = {
    cpus: positive('limits.cpus', l.cpus, false),
    memoryBytes: positive('limits.memoryBytes', l.memoryBytes, true),
    pidsLimit: positive('limits.pidsLimit', l.pidsLimit, true),
    timeoutMs: positive('limits.timeoutMs', l.timeoutMs, true),
    outputBytes: positive('limits.outputBytes', l.outputBytes, true),
    tmpBytes: positive('limits.tmpBytes', l.tmpBytes, true),
  };
  if (limits.memoryBytes < 6 * 1024 * 1024) invalid('limits.memoryBytes', 'must be at least 6 MiB (Docker minimum)');

  const p = spec.outputPolicy;
  if (typeof p !== 'object' || p === null) invalid('outputPolicy', 'must be an object');
  if (typeof p.maxBytes !== 'number' || !Number.isInteger(p.maxBytes) || p.maxBytes < 0) invalid('outputPolicy.maxBytes', 'must be a non-negative integer');
  const maxReleaseBytes = p.maxReleaseBytes === undefined ? p.maxBytes : positive('outputPolicy.maxReleaseBytes', p.maxReleaseBytes, true);
  const maxFiles = p.maxFiles === undefined ? DEFAULT_MAX_FILES : positive('outputPolicy.maxFiles', p.maxFiles, true);
  const allowedPatterns = strings('outputPolicy.allowedPatterns', p.allowedPatterns);
  if (typeof p.leakGuard?.enabled !== 'boolean') invalid('outputPolicy.leakGuard.enabled', 'must be a boolean');
  const minRunBytes = p.leakGuard.minRunBytes ?? DEFAULT_MIN_RUN_BYTES;
  if (!Number.isInteger(minRunBytes) || minRunBytes < MIN_RUN_FLOOR) invalid('outputPolicy.leakGuard.minRunBytes', `must be an integer ≥ ${MIN_RUN_FLOOR}`);
  if (p.allowUnsafeFormats !== undefined && typeof p.allowUnsafeFormats !== 'boolean') invalid('outputPolicy.allowUnsafeFormats', 'must be a boolean');

  return {
    jobId: spec.jobId,
    image: spec.image,
    allowedImageIds,
    ...(command && { command }),
    ...(entrypoint && { entrypoint }),
    ...(workingDir !== undefined && { workingDir }),
    env,
    ...(user && { user }),
    inputs,
    algorithm,
    limits,
    outputPolicy: {
      maxBytes: p.maxBytes,
      maxReleaseBytes,
      maxFiles,
      allowedPatterns,
      logs: logsPolicy(p.logs),
      leakGuard: { enabled: p.leakGuard.enabled, minRunBytes },
      allowUnsafeFormats: p.allowUnsafeFormats === true,
    },
  };
}
