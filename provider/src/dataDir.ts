import { chmod, lstat, mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Private modes for the provider's data directory. The directory holds the database (jobs,
 * access grants, sealed keys), the IPFS repository (with the node's private key) and the
 * key files, so it is 0700 and what it holds is owner-only: files 0600, directories 0700.
 * Job workspaces (`jobs/`, `runner/`) are left alone: their contents are bind-mounted into
 * the job containers, which run as another user and must read them; the containers do not
 * need the data directory to be traversable, since the mounts are made by the Docker daemon.
 */

const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** Creates `dir` if needed and makes it 0700 even when it existed with a wider mode. */
export async function securePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Makes `path` owner-only: a file 0600, a directory 0700 and everything under it likewise.
 * Symbolic links are not followed; a missing path is ignored.
 * @example
 * await tightenTree(join(dataDir, 'ipfs'));
 */
export async function tightenTree(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if (missing(err)) return;
    throw err;
  }
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    if ((st.mode & 0o777) !== 0o700) await chmod(path, 0o700);
    for (const name of await readdir(path)) await tightenTree(join(path, name));
  } else if (st.isFile() && (st.mode & 0o777) !== 0o600) {
    await chmod(path, 0o600);
  }
}

/**
 * Prepares the SQLite files at `dbPath` before opening: tightens the existing database, WAL
 * and shared-memory files, and creates an absent database empty with mode 0600, so SQLite
 * (which gives its WAL and -shm files the database file's mode) never writes a readable one.
 */
export async function prepareDatabaseFiles(dbPath: string): Promise<void> {
  await (await open(dbPath, 'a', 0o600)).close();
  for (const suffix of ['', '-wal', '-shm', '-journal']) await tightenTree(dbPath + suffix);
}
