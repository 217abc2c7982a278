/**
 * The algorithm spec: everything about a job's container that the data owner approves,
 * and exactly what reaches Docker. `algorithmHash` is sha256 over its canonical JSON
 * (docs/algorithm-spec.md), so an owner approves one hash and an auditor, given the spec,
 * re-computes it with `sha256sum`.
 */
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../asset/canonical.js';
import { ActionError } from '../actions/errors.js';

/** Where the algorithm bundle is mounted (read-only) inside the job's container. */
export const ALGORITHM_DIR = '/data/transformations/algorithm';
/** The working directory when a spec names none: the job's private tmpfs. */
export const DEFAULT_WORKING_DIR = '/tmp';
/** The user a job runs as when a spec names none (never root). */
export const DEFAULT_ALGORITHM_USER = '1000:1000';
/** Version of the canonical encoding; part of the hashed bytes. */
export const ALGORITHM_SPEC_VERSION = 1;

const MAX_ARGS = 64;
const MAX_ARG_CHARS = 4096;
const MAX_ENV = 64;

/** A string Docker and the hash can carry unchanged: well-formed UTF-16, no NUL. */
const arg = z
  .string()
  .max(MAX_ARG_CHARS)
  .refine((s) => !s.includes('\0'), 'must not contain NUL')
  .refine((s) => s.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)');

const ENV_ENTRY = /^([A-Za-z_][A-Za-z0-9_]{0,127})=/;

/**
 * Working directories a job may start in: its tmpfs, its outputs, or the algorithm bundle
 * (and folders inside it). Anything else does not exist on a read-only root file system.
 */
export function isAllowedWorkingDir(dir: string): boolean {
  if (dir === DEFAULT_WORKING_DIR || dir === '/data/outputs' || dir === ALGORITHM_DIR) return true;
  if (!dir.startsWith(ALGORITHM_DIR + '/')) return false;
  return dir
    .slice(ALGORITHM_DIR.length + 1)
    .split('/')
    .every((s) => s !== '' && s !== '.' && s !== '..');
}

export const algorithmSpecSchema = z.strictObject({
  /** Image ID, content-addressed: the image's whole config and layers. */
  image: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected an image ID sha256:<64 lowercase hex>'),
  /** Listing hash of the code bundle's files (see `listingHash`). */
  codeHash: z.string().regex(/^0x[0-9a-f]{64}$/, 'expected 0x + 64 lowercase hex digits'),
  /** Docker Entrypoint; `[]` means none (the image's entrypoint is reset). */
  entrypoint: z.array(arg).max(MAX_ARGS),
  /** Docker Cmd: with an empty entrypoint, the process and its arguments. */
  command: z.array(arg).min(1).max(MAX_ARGS),
  workingDir: arg.refine(isAllowedWorkingDir, `must be ${DEFAULT_WORKING_DIR}, /data/outputs or ${ALGORITHM_DIR}[/…]`),
  /** `NAME=value` entries, sorted, unique names; `COVE_*` is the provider's. */
  env: z
    .array(arg)
    .max(MAX_ENV)
    .superRefine((env, ctx) => {
      const names = new Set<string>();
      env.forEach((e, i) => {
        const m = ENV_ENTRY.exec(e);
        if (!m) return ctx.addIssue({ code: 'custom', message: 'expected NAME=value with NAME matching [A-Za-z_][A-Za-z0-9_]*', path: [i] });
        const name = m[1]!;
        if (name.toUpperCase().startsWith('COVE_')) ctx.addIssue({ code: 'custom', message: `${name}: COVE_* variables are set by the provider`, path: [i] });
        if (names.has(name)) ctx.addIssue({ code: 'custom', message: `${name} given twice`, path: [i] });
        names.add(name);
      });
      const sorted = [...env].sort(compareUtf8);
      if (sorted.some((e, i) => e !== env[i])) ctx.addIssue({ code: 'custom', message: 'env entries must be sorted (by UTF-8 bytes)' });
    }),
  /** `uid:gid`, numeric; root (uid 0) and the root group (gid 0) are refused. */
  user: z.string().regex(/^[1-9][0-9]{0,8}:[1-9][0-9]{0,8}$/, 'expected uid:gid (numbers below 10^9, neither 0)'),
});

/** What the owner approves and the provider runs: the whole container spec. */
export type AlgorithmSpec = z.output<typeof algorithmSpecSchema>;

/** What callers may give: the parts with defaults may be left out, env in any order. */
export type AlgorithmSpecInput = Pick<AlgorithmSpec, 'image' | 'codeHash' | 'command'> & Partial<Pick<AlgorithmSpec, 'entrypoint' | 'workingDir' | 'env' | 'user'>>;

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Fills in defaults (no entrypoint, `/tmp`, no env, user 1000:1000), sorts env and
 * validates; throws `INVALID_PARAMS` listing every problem.
 *
 * @example
 * const spec = normalizeAlgorithmSpec({ image: 'sha256:…', codeHash: '0x…', command: ['python3', '/data/transformations/algorithm/train.py'] });
 */
export function normalizeAlgorithmSpec(input: AlgorithmSpecInput): AlgorithmSpec {
  const candidate = {
    image: typeof input.image === 'string' ? input.image.toLowerCase() : input.image,
    codeHash: typeof input.codeHash === 'string' ? input.codeHash.toLowerCase() : input.codeHash,
    entrypoint: input.entrypoint ?? [],
    command: input.command,
    workingDir: input.workingDir ?? DEFAULT_WORKING_DIR,
    env: Array.isArray(input.env) ? [...input.env].sort(compareUtf8) : (input.env ?? []),
    user: input.user ?? DEFAULT_ALGORITHM_USER,
  };
  const r = algorithmSpecSchema.safeParse(candidate);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${['algorithm', ...i.path].join('.')}: ${i.message}`);
    throw new ActionError('INVALID_PARAMS', `invalid algorithm spec: ${issues.join('; ')}`, { details: { issues } });
  }
  return r.data;
}

/** The canonical bytes that are hashed: the spec with `kind` and `version`, keys sorted, no whitespace. */
export function canonicalAlgorithmSpec(spec: AlgorithmSpec): string {
  return canonicalJson({ kind: 'cove-algorithm', version: ALGORITHM_SPEC_VERSION, ...algorithmSpecSchema.parse(spec) });
}

/**
 * The hash an owner approves (`computePolicy.allowedAlgorithms`) and a receipt records:
 * sha256 over `canonicalAlgorithmSpec(spec)` (UTF-8), `0x` + hex.
 *
 * @example
 * const hash = algorithmHash(normalizeAlgorithmSpec({ image, codeHash, command }));
 */
export function algorithmHash(spec: AlgorithmSpec): `0x${string}` {
  return sha256Hex(canonicalAlgorithmSpec(spec));
}

/**
 * Reads a spec from JSON: the canonical form (`kind: "cove-algorithm"`, `version`, as
 * `cove hash-algorithm --out` writes it) or a bare spec (as a policy lists it). Throws
 * `INVALID_PARAMS` naming the problems.
 *
 * @example
 * const spec = parseAlgorithmSpec(JSON.parse(readFileSync('train.spec.json', 'utf8')));
 */
export function parseAlgorithmSpec(json: unknown): AlgorithmSpec {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ActionError('INVALID_PARAMS', 'not an algorithm spec: expected a JSON object');
  const { kind, version, ...rest } = json as Record<string, unknown>;
  if ((kind !== undefined || version !== undefined) && (kind !== 'cove-algorithm' || version !== ALGORITHM_SPEC_VERSION)) {
    throw new ActionError('INVALID_PARAMS', `not an algorithm spec of this version: expected kind "cove-algorithm", version ${ALGORITHM_SPEC_VERSION}`);
  }
  const parsed = algorithmSpecSchema.safeParse(rest);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ActionError('INVALID_PARAMS', `not an algorithm spec: ${issues.join('; ')}`, { details: { issues } });
  }
  return parsed.data;
}
