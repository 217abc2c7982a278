import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ActionError } from '../actions/errors.js';

async function isEmptyDir(path: string): Promise<boolean | undefined> {
  try {
    return (await readdir(path)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw e;
  }
}

/**
 * Fills a fresh temporary sibling of `out` with `fill`, then renames it to `out`; on any
 * failure the temporary directory is removed, so `out` is either complete or absent.
 * `out` must not exist or be an empty directory (`OUTPUT_EXISTS` otherwise).
 */
export async function writeDirAtomically<T>(out: string, fill: (dir: string) => Promise<T>): Promise<T> {
  const target = resolve(out);
  const empty = await isEmptyDir(target);
  if (empty === false) throw new ActionError('OUTPUT_EXISTS', `${out} exists and is not an empty directory`, { details: { out } });
  await mkdir(dirname(target), { recursive: true });
  const tmp = await mkdtemp(join(dirname(target), `.${basename(target)}.partial-`));
  try {
    const value = await fill(tmp);
    if (empty === true) await rmdir(target);
    await rename(tmp, target);
    return value;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Streams `source` to a temporary sibling of `out` and renames it on success (`OUTPUT_EXISTS` if `out` exists). */
export async function writeFileAtomically(out: string, source: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
  const target = resolve(out);
  if ((await isEmptyDir(target)) !== undefined) throw new ActionError('OUTPUT_EXISTS', `${out} exists`, { details: { out } });
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.partial-${randomBytes(6).toString('hex')}`);
  try {
    await pipeline(Readable.from(source), createWriteStream(tmp, { flags: 'wx', mode: 0o600 }), ...(signal ? [{ signal }] : []));
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
