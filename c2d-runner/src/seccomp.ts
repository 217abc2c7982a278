import { readFileSync } from 'node:fs';
import { RunnerError } from './errors.js';

/** Where Debian's `golang-github-docker-docker-dev` puts Docker's own default seccomp profile. */
export const DOCKER_DEFAULT_SECCOMP_PATH = '/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json';

/** `AF_VSOCK`: sockets to the hypervisor and its other guests, which `NetworkMode: none` does not cover. */
export const AF_VSOCK = 40;

/**
 * Syscalls a job never gets, whatever rule of the base profile allowed them: io_uring (a
 * large kernel attack surface that also bypasses per-syscall filtering), the kernel
 * keyring, eBPF, userfaultfd (a classic exploit primitive) and perf events.
 * `socketcall` multiplexes `socket` on 32-bit x86 with its arguments in memory, where a
 * filter cannot read the address family, so it would bypass the AF_VSOCK rule.
 */
export const REMOVED_SYSCALLS: readonly string[] = [
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'keyctl',
  'add_key',
  'request_key',
  'bpf',
  'userfaultfd',
  'perf_event_open',
  'socketcall',
];

/** One rule of a Docker seccomp profile (only the fields the runner reads; the rest is kept as is). */
export type SeccompRule = {
  names?: string[];
  name?: string;
  action: string;
  args?: Array<{ index: number; value: number; valueTwo?: number; op: string }> | null;
  [key: string]: unknown;
};

/** A Docker seccomp profile, as `docker run --security-opt seccomp=<file>` reads it. */
export type SeccompProfile = { defaultAction: string; syscalls: SeccompRule[]; [key: string]: unknown };

/**
 * `socket` for every family whose low 32 bits differ from AF_VSOCK. The kernel reads the family
 * as an `int`, but seccomp compares all 64 bits of the register, so a single `SCMP_CMP_NE 40`
 * rule lets `socket(40 | 1 << 32, …)` through and creates a vsock socket. Instead one rule per
 * bit: allowed when bit i (i < 32) differs from AF_VSOCK's (rules of one syscall are ORed).
 */
function socketRules(): SeccompRule[] {
  return Array.from({ length: 32 }, (_, i) => ({
    names: ['socket'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: 2 ** i, valueTwo: (AF_VSOCK >>> i) & 1 ? 0 : 2 ** i, op: 'SCMP_CMP_MASKED_EQ' }],
    comment: `cove: socket unless the family's low 32 bits are AF_VSOCK (bit ${i} differs)`,
  }));
}

const ALLOWING = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_NOTIFY']);

const invalid = (message: string, details: Record<string, unknown> = {}, cause?: unknown) =>
  new RunnerError('SECCOMP_PROFILE_UNAVAILABLE', message, { details, ...(cause !== undefined && { cause }) });

/**
 * The profile jobs run under: the base (Docker's default) with `REMOVED_SYSCALLS` taken out of
 * every allowing rule and `socket` allowed only for address families other than AF_VSOCK
 * (compared on the low 32 bits, as the kernel reads it: see `socketRules`).
 * Denying rules of the base are kept. Refuses a base that is not deny-by-default, since
 * removing names from it would block nothing.
 *
 * @example
 * const profile = coveSeccompProfile(JSON.parse(readFileSync(DOCKER_DEFAULT_SECCOMP_PATH, 'utf8')))
 * // HostConfig.SecurityOpt: [`seccomp=${JSON.stringify(profile)}`]
 */
export function coveSeccompProfile(dockerDefault: unknown): SeccompProfile {
  const base = dockerDefault as Partial<SeccompProfile> | null;
  if (!base || typeof base !== 'object' || !Array.isArray(base.syscalls) || typeof base.defaultAction !== 'string') {
    throw invalid('the base seccomp profile has no defaultAction and syscalls list');
  }
  if (ALLOWING.has(base.defaultAction)) {
    throw invalid(`the base seccomp profile allows by default (${base.defaultAction}); removing syscalls from it would block nothing`, { defaultAction: base.defaultAction });
  }
  const strip = new Set([...REMOVED_SYSCALLS, 'socket']);
  const syscalls: SeccompRule[] = [];
  for (const rule of base.syscalls) {
    if (!rule || typeof rule !== 'object' || typeof rule.action !== 'string') throw invalid('a rule of the base seccomp profile has no action');
    if (!ALLOWING.has(rule.action)) {
      syscalls.push(rule);
      continue;
    }
    const names = (rule.names ?? (rule.name ? [rule.name] : [])).filter((n) => !strip.has(n));
    if (names.length === 0) continue;
    const { name: _name, ...rest } = rule;
    syscalls.push({ ...rest, names });
  }
  syscalls.push(...socketRules());
  return { ...base, defaultAction: base.defaultAction, syscalls } as SeccompProfile;
}

/**
 * Reads the base profile at `path` and derives the Cove profile, as the JSON string Docker takes
 * in `seccomp=<json>`. Throws `SECCOMP_PROFILE_UNAVAILABLE` when the file is missing or
 * unparsable: the engine never falls back to running jobs without it.
 *
 * @example
 * const seccomp = loadCoveSeccompProfile(DOCKER_DEFAULT_SECCOMP_PATH)
 */
export function loadCoveSeccompProfile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw invalid(`the base seccomp profile ${path} cannot be read (on Debian/Ubuntu: apt-get install golang-github-docker-docker-dev)`, { path }, err);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(`the base seccomp profile ${path} is not JSON`, { path }, err);
  }
  try {
    return JSON.stringify(coveSeccompProfile(parsed));
  } catch (err) {
    if (err instanceof RunnerError) throw invalid(`${err.message} (${path})`, { ...err.details, path }, err.cause);
    throw err;
  }
}
