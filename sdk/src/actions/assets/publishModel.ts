import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import type { CoveClientBase } from '../../client/base.js';
import { packBundle, type BundleEntry } from '../../results/bundle.js';
import { ActionError } from '../errors.js';
import { publishCore, type PublishCommonParameters, type PublishCoreReturnType } from './publishCore.js';

export type PublishModelParameters = PublishCommonParameters & {
  /** The job receipts the model came from (each must exist in ComputeReceipts; at most 16). */
  parentJobIds: string[];
  /** The model's files (each stored under its base name) or a directory (stored with relative paths). */
  files?: string[];
  dir?: string;
};

export type PublishModelReturnType = PublishCoreReturnType;

/** Every regular file under `dir`, with `/`-separated paths relative to it. */
async function walk(dir: string): Promise<BundleEntry[]> {
  const out: BundleEntry[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    out.push({ path: relative(dir, file).split(sep).join('/'), file });
  }
  return out;
}

/**
 * Tokenises result files as a `model` asset whose on-chain lineage names the job receipts it
 * came from. The files are packed as a result bundle (deterministic tar, streamed), then
 * encrypted, sealed to a provider and published like any asset; the DataNFT checks every
 * parent job against ComputeReceipts (`UNKNOWN_PARENT_JOB` otherwise) and stores them.
 *
 * @example
 * const { assetId } = await publishModel(client, {
 *   dir: './results', parentJobIds: [jobId], name: 'Breast-cancer classifier',
 *   provider: { url }, services: [{ type: 'access', timeoutSeconds: 86_400 }],
 * });
 * await client.contracts.dataNFT.parentJobsOf(assetId); // [jobId]
 */
export async function publishModel(client: CoveClientBase, params: PublishModelParameters): Promise<PublishModelReturnType> {
  if ((params.files === undefined) === (params.dir === undefined)) throw new ActionError('INVALID_PARAMS', 'give either files or dir');
  if (params.parentJobIds.length === 0) throw new ActionError('INVALID_PARAMS', 'a model names at least one parent job');
  const entries = params.dir !== undefined ? await walk(params.dir) : params.files!.map((file) => ({ path: basename(file), file }));
  if (entries.length === 0) throw new ActionError('INVALID_PARAMS', 'no model files');
  for (const e of entries) if (!(await stat(e.file)).isFile()) throw new ActionError('INVALID_PARAMS', `not a file: ${e.file}`);
  return publishCore(client, {
    ...params,
    kind: 'model',
    input: { source: packBundle(entries, params.signal ? { signal: params.signal } : {}) },
    contentType: 'application/x-tar',
  });
}
