import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { RunnerError } from './errors.js';
import type { NormalizedSpec } from './spec.js';

const run = promisify(execFile);

/** What the runner needs from the host to cap a directory's size: a tmpfs mounted on it. */
export type Mounter = {
  mountTmpfs(params: { dir: string; sizeBytes: number; uid: number; gid: number; mode: number }): Promise<void>;
  unmount(dir: string): Promise<void>;
  /** Mount points at or below `prefix`. */
  mountsUnder(prefix: string): Promise<string[]>;
};

/** `/proc/mounts` escapes space, tab, newline and backslash as octal. */
function unescapeMount(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * The host's `mount`/`umount` (needs root or CAP_SYS_ADMIN). A refused mount is a
 * `MOUNT_NOT_PERMITTED` error: the runner never runs a job with an uncapped outputs dir.
 *
 * @example
 * const engine = createDockerEngine({ workRoot, instanceId, concurrency: 2, mounter: systemMounter() })
 */
export function systemMounter(): Mounter {
  return {
    async mountTmpfs({ dir, sizeBytes, uid, gid, mode }) {
      const opts = `size=${sizeBytes},uid=${uid},gid=${gid},mode=${mode.toString(8).padStart(4, '0')},nosuid,nodev,noexec`;
      try {
        await run('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
      } catch (err) {
        throw new RunnerError('MOUNT_NOT_PERMITTED', `cannot mount a size-capped tmpfs on ${dir}; the runner needs root or CAP_SYS_ADMIN`, {
          details: { dir, stderr: String((err as { stderr?: unknown }).stderr ?? '').trim() },
          cause: err,
        });
      }
    },
    async unmount(dir) {
      try {
        await run('umount', [dir]);
      } catch {
        await run('umount', ['-l', dir]); // busy (an open handle somewhere): detach now, freed when released
      }
    },
    async mountsUnder(prefix) {
      const text = await readFile('/proc/mounts', 'utf8');
      const root = prefix.endsWith('/') ? prefix : `${prefix}/`;
      return text
        .split('\n')
        .map((line) => unescapeMount(line.split(' ')[1] ?? ''))
        .filter((p) => p === prefix || p.startsWith(root));
    },
  };
}

/** A job's host-side files: `<workRoot>/<instanceId>/<jobId>/{spec.json,algorithm/,outputs/}`. */
export type Workspace = { dir: string; algorithmDir: string; outputsDir: string; specFile: string };

/** Where a job's workspace lives. */
export function workspacePaths(root: string, jobId: string): Workspace {
  const dir = join(root, jobId);
  return { dir, algorithmDir: join(dir, 'algorithm'), outputsDir: join(dir, 'outputs'), specFile: join(dir, 'spec.json') };
}

/** What a workspace persists so a restarted process can collect the job. */
export type PersistedJob = {
  spec: Omit<NormalizedSpec, 'algorithm'> & { algorithm: Array<{ name: string }> };
  imageId: string;
  codeHash: string;
  queuedAt: number;
};

/**
 * Creates the job's 0700 workspace: algorithm files (read-only to the job), the persisted
 * spec, and the outputs dir with a size-capped tmpfs (uid/gid 1000, 0700) mounted on it.
 *
 * @example
 * const ws = await createWorkspace({ root, job, files, mounter })
 */
export async function createWorkspace(params: {
  root: string;
  job: PersistedJob;
  files: ReadonlyArray<{ name: string; content: Uint8Array }>;
  mounter: Mounter;
  uid: number;
  gid: number;
}): Promise<Workspace> {
  const ws = workspacePaths(params.root, params.job.spec.jobId);
  await mkdir(params.root, { recursive: true, mode: 0o700 });
  try {
    await mkdir(ws.dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RunnerError('JOB_EXISTS', `a workspace for job ${params.job.spec.jobId} already exists`, { details: { dir: ws.dir } });
    }
    throw err;
  }
  await writeFile(ws.specFile, JSON.stringify(params.job), { mode: 0o600 });
  await mkdir(ws.algorithmDir, { mode: 0o755 });
  for (const f of params.files) {
    const target = join(ws.algorithmDir, f.name);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, f.content, { mode: 0o644 });
    await chmod(target, 0o644); // the umask must not make it unreadable to the job's user
  }
  await mkdir(ws.outputsDir, { mode: 0o700 });
  await params.mounter.mountTmpfs({ dir: ws.outputsDir, sizeBytes: params.job.spec.limits.outputBytes, uid: params.uid, gid: params.gid, mode: 0o700 });
  return ws;
}

/** Reads a workspace's persisted job, or null when it has none. */
export async function readPersistedJob(ws: Workspace): Promise<PersistedJob | null> {
  try {
    return JSON.parse(await readFile(ws.specFile, 'utf8')) as PersistedJob;
  } catch {
    return null;
  }
}

/** Unmounts whatever is mounted in the workspace and deletes it; safe to call twice. */
export async function destroyWorkspace(ws: Workspace, mounter: Mounter): Promise<void> {
  for (const m of (await mounter.mountsUnder(ws.dir)).reverse()) await mounter.unmount(m);
  await rm(ws.dir, { recursive: true, force: true });
}
