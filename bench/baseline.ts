import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchRow } from './lib.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The commit "before the security work"; override with COVE_BENCH_BASELINE (`none` skips the baseline). */
export const DEFAULT_BASELINE = '867f9f32e98c3b0d3efd6d6b6a504ea15d521b0b';
/** Workspace packages the baseline must import from its own tree, as `node_modules/@cove/<name>` → `<dir>`. */
const WORKSPACES = { sdk: 'sdk', provider: 'provider', 'c2d-runner': 'c2d-runner', e2e: 'test' } as const;
/** Workspaces with a nested node_modules of their own (third-party versions the root does not hoist). */
const NESTED = ['sdk', 'c2d-runner', 'provider', 'test'];

export type Baseline = {
  /** Full commit hash. */
  commit: string;
  /** Short hash, for row names. */
  label: string;
  /** Runs the baseline's own `bench/run.ts <suite>` as a child process and returns its rows. */
  runSuite: (suite: string, params?: { timeoutMs?: number }) => Promise<BenchRow[]>;
  /** Removes the worktree (its node_modules symlinks first, so nothing behind them is touched). */
  remove: () => Promise<void>;
};

const git = async (...args: string[]) => (await exec('git', args, { cwd: ROOT })).stdout.trim();

/**
 * Checks `commit` out into a detached git worktree under a temp dir, with a node_modules whose
 * third-party entries are symlinks to this checkout's and whose `@cove/*` entries point at the
 * worktree's own workspaces, and verifies that the baseline's provider imports the baseline's
 * SDK. Throws an Error saying why when the commit is missing (e.g. a shallow clone) or the
 * tree cannot be built.
 * @example
 * const base = await checkoutBaseline({ commit: DEFAULT_BASELINE });
 * try { const rows = await base.runSuite('provider'); } finally { await base.remove(); }
 */
export async function checkoutBaseline(params: { commit: string }): Promise<Baseline> {
  let commit: string;
  try {
    commit = await git('rev-parse', '--verify', '--quiet', `${params.commit}^{commit}`);
  } catch {
    const shallow = await git('rev-parse', '--is-shallow-repository').catch(() => 'unknown');
    throw new Error(`commit ${params.commit} is not in this clone${shallow === 'true' ? ' (shallow clone: git fetch --unshallow)' : ''}`);
  }
  const label = commit.slice(0, 7);
  const dir = await mkdtemp(join(tmpdir(), `cove-bench-${label}-`));
  const tree = join(dir, 'tree');
  const remove = async () => {
    // Unlink the symlinks ourselves: rm never follows them, so the main checkout's modules are safe.
    await rm(join(tree, 'node_modules'), { recursive: true, force: true });
    for (const w of NESTED) await rm(join(tree, w, 'node_modules'), { force: true });
    await git('worktree', 'remove', '--force', tree).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await git('worktree', 'prune').catch(() => undefined);
  };
  try {
    await git('worktree', 'add', '--detach', tree, commit);
    await linkModules(tree);
    await checkResolution(tree);
  } catch (err) {
    await remove();
    throw err;
  }
  return { commit, label, remove, runSuite: (suite, p) => runSuite(tree, suite, p?.timeoutMs ?? 240_000) };
}

/** `<tree>/node_modules`: a symlink per entry of the main checkout's, except `@cove`, a real directory of the tree's own workspaces. */
async function linkModules(tree: string): Promise<void> {
  const main = join(ROOT, 'node_modules');
  const own = join(tree, 'node_modules');
  await mkdir(join(own, '@cove'), { recursive: true });
  for (const entry of await readdir(main)) {
    if (entry === '@cove') continue;
    await symlink(join(main, entry), join(own, entry));
  }
  for (const [name, dir] of Object.entries(WORKSPACES)) await symlink(join('..', '..', dir), join(own, '@cove', name));
  for (const w of NESTED) {
    const nested = join(ROOT, w, 'node_modules');
    const present = await readdir(nested).then(() => true, () => false);
    const target = join(tree, w);
    if (present && (await readdir(target).then(() => true, () => false))) await symlink(nested, join(target, 'node_modules'));
  }
}

/** Fails unless the tree's provider resolves `@cove/sdk` and `@cove/c2d-runner` inside the tree, and third-party packages in the main checkout. */
async function checkResolution(tree: string): Promise<void> {
  const script = "for (const m of ['@cove/sdk', '@cove/c2d-runner', 'ethers']) console.log(import.meta.resolve(m))";
  const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], { cwd: join(tree, 'provider') });
  const [sdk, runner, ethers] = stdout.trim().split('\n').map((u) => fileURLToPath(u));
  const inTree = (p: string | undefined) => p !== undefined && p.startsWith(tree + '/') && !p.includes('/node_modules/');
  if (!inTree(sdk) || !inTree(runner)) throw new Error(`the baseline's provider resolves @cove/sdk to ${sdk} and @cove/c2d-runner to ${runner}, not its own tree`);
  if (!ethers?.startsWith(join(ROOT, 'node_modules') + '/')) throw new Error(`the baseline resolves ethers to ${ethers}, not the main checkout's node_modules`);
}

/** `tsx <tree>/bench/run.ts <suite>` in its own process group (killed whole on timeout), rows read from its JSON. */
async function runSuite(tree: string, suite: string, timeoutMs: number): Promise<BenchRow[]> {
  const out = join(tree, '..', `${suite}-${Date.now()}.json`);
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  // COVE_BENCH_BASELINE=none: a baseline that has this file must not start a baseline of its own.
  const child = spawn(tsx, [join(tree, 'bench', 'run.ts'), suite], { cwd: tree, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COVE_BENCH_OUT: out, COVE_BENCH_BASELINE: 'none' } });
  let log = '';
  const keep = (c: Buffer) => (log = (log + c.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, signal) => resolve(signal ? null : c));
  }).finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`baseline bench ${suite} ${code === null ? `killed after ${timeoutMs / 1000} s` : `exited ${code}`}: ${log.trim().split('\n').slice(-3).join(' | ')}`);
  return (JSON.parse(await readFile(out, 'utf8')) as { rows: BenchRow[] }).rows;
}

/** What "current" is: the short HEAD, and whether the code packages have uncommitted changes (which the bench measures too). */
export async function describeCurrent(): Promise<string> {
  const head = await git('rev-parse', '--short', 'HEAD').catch(() => 'unknown');
  const dirty = await git('status', '--porcelain', '--', 'sdk', 'provider', 'c2d-runner', 'contracts').catch(() => '');
  return dirty === '' ? head : `${head} + uncommitted changes`;
}
