import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { requireSigner, type CoveClientBase } from '../../client/base.js';
import { hashResultFiles, listingHash, sameHash, type ResultFilesInput } from '../audit/hashes.js';
import { packBundle, type BundleEntry } from '../../results/bundle.js';
import { ActionError } from '../errors.js';
import { parentJobs } from './lineage.js';
import { publishCore, type PublishCommonParameters, type PublishCoreReturnType } from './publishCore.js';

export type PublishModelParameters = PublishCommonParameters & {
  /**
   * The job receipts the model came from (at most 16, each once): each must have succeeded, and the publisher must
   * be the consumer of its orders.
   */
  parentJobIds: string[];
  /**
   * Each parent job's whole result files (path → bytes, or their directory), when the model is not all of them:
   * the document records the job's output listing, which must hash to its receipt's `outputsHash`. By default the
   * model's own files are taken as the job's outputs.
   */
  jobOutputs?: Record<string, ResultFilesInput>;
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
 * encrypted, sealed to a provider and published like any asset. Before anything is stored or
 * sent, every parent is checked: listed once (`DUPLICATE_PARENT_JOB`), recorded
 * (`UNKNOWN_PARENT_JOB`), succeeded (`PARENT_JOB_NOT_SUCCEEDED`), and bought by the publisher
 * (`NOT_PARENT_JOB_CONSUMER`); the DataNFT enforces all four on-chain from Merkle proofs of the
 * receipts. The document records, per parent, the job's output listing and which of those files
 * the model is (`MODEL_NOT_JOB_OUTPUT` when a model file is not among them), so `verifyModel`
 * can trace the model's bytes to the receipt.
 *
 * @example
 * const { assetId } = await publishModel(client, {
 *   dir: './results', parentJobIds: [jobId], name: 'Breast-cancer classifier',
 *   provider: { url }, services: [{ type: 'access', timeoutSeconds: 86_400 }],
 * });
 * const verdict = await verifyModel(client, { assetId, files: './results' });
 */
export async function publishModel(client: CoveClientBase, params: PublishModelParameters): Promise<PublishModelReturnType> {
  if ((params.files === undefined) === (params.dir === undefined)) throw new ActionError('INVALID_PARAMS', 'give either files or dir');
  if (params.parentJobIds.length === 0) throw new ActionError('INVALID_PARAMS', 'a model names at least one parent job');
  const entries = params.dir !== undefined ? await walk(params.dir) : params.files!.map((file) => ({ path: basename(file), file }));
  if (entries.length === 0) throw new ActionError('INVALID_PARAMS', 'no model files');
  for (const e of entries) if (!(await stat(e.file)).isFile()) throw new ActionError('INVALID_PARAMS', `not a file: ${e.file}`);
  const publisher = await requireSigner(client).getAddress();
  const parents = await parentJobs(client, params.parentJobIds, publisher);
  const model = await hashResultFiles(new Map(await Promise.all(entries.map(async (e) => [e.path, await readFile(e.file)] as const))), {});
  const lineage = await Promise.all(parents.map(async ({ receipt }) => {
    const given = params.jobOutputs?.[receipt.jobId] ?? params.jobOutputs?.[receipt.jobId.toLowerCase()];
    const outputs = given === undefined ? model : await hashResultFiles(given, {});
    const listing = outputs.map((o) => ({ path: o.path, sha256: o.sha256 })).sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    if (!sameHash(listingHash(listing), receipt.outputsHash)) {
      throw new ActionError('MODEL_NOT_JOB_OUTPUT', `the ${given === undefined ? "model's files are not the whole output" : 'given outputs are not the outputs'} of job ${receipt.jobId} (their listing does not hash to its outputsHash); pass jobOutputs with the job's result files`, { details: { jobId: receipt.jobId, outputsHash: receipt.outputsHash } });
    }
    const byPath = new Map(listing.map((o) => [o.path, o.sha256]));
    const stray = model.filter((m) => byPath.get(m.path) !== m.sha256);
    if (stray.length > 0 && parents.length === 1) {
      throw new ActionError('MODEL_NOT_JOB_OUTPUT', `model file ${stray[0]!.path} is not an output of job ${receipt.jobId}`, { details: { jobId: receipt.jobId, path: stray[0]!.path } });
    }
    return { jobId: receipt.jobId.toLowerCase(), outputsHash: receipt.outputsHash.toLowerCase(), outputs: listing, modelFiles: model.filter((m) => byPath.get(m.path) === m.sha256).map((m) => m.path) };
  }));
  return publishCore(client, {
    ...params,
    parents: parents.map((p) => p.proof),
    lineage: { parentJobIds: params.parentJobIds.map((j) => j.toLowerCase()), parents: lineage },
    kind: 'model',
    input: { source: packBundle(entries, params.signal ? { signal: params.signal } : {}) },
    contentType: 'application/x-tar',
  });
}
