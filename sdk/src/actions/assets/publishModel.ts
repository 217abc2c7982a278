import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { Interface, ZeroAddress, getAddress, type Result } from 'ethers';
import { requireSigner, type CoveClientBase } from '../../client/base.js';
import { datatokenAbi } from '../../contracts/generated/abis.js';
import { getLogsRange } from '../audit/logs.js';
import { packBundle, type BundleEntry } from '../../results/bundle.js';
import { ActionError } from '../errors.js';
import { publishCore, type PublishCommonParameters, type PublishCoreReturnType } from './publishCore.js';

export type PublishModelParameters = PublishCommonParameters & {
  /**
   * The job receipts the model came from (at most 16, each once): each must have succeeded, and the publisher must
   * be the consumer of its orders.
   */
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
 * encrypted, sealed to a provider and published like any asset. Before anything is stored or
 * sent, every parent is checked: listed once (`DUPLICATE_PARENT_JOB`), recorded
 * (`UNKNOWN_PARENT_JOB`), succeeded (`PARENT_JOB_NOT_SUCCEEDED`), and the publisher is the
 * consumer of its orders (`NOT_PARENT_JOB_CONSUMER`, from their `OrderStarted` events). The
 * DataNFT enforces the first three on-chain; the consumer is not stored on-chain, so the
 * auditor checks that one too (docs/contracts.md, "Lineage").
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
  await checkParentJobs(client, params.parentJobIds);
  return publishCore(client, {
    ...params,
    kind: 'model',
    input: { source: packBundle(entries, params.signal ? { signal: params.signal } : {}) },
    contentType: 'application/x-tar',
  });
}

const tokenIface = new Interface(datatokenAbi);
const ORDER_STARTED = tokenIface.getEvent('OrderStarted')!.topicHash;

/**
 * The on-chain lineage rules, checked before publishing so a bad parent is a typed error rather than a revert after
 * the document was stored: each parent once, recorded, succeeded, and its orders' consumer is the publisher.
 */
export async function checkParentJobs(client: CoveClientBase, parentJobIds: string[]): Promise<void> {
  const publisher = getAddress(await requireSigner(client).getAddress());
  const seen = new Set<string>();
  for (const jobId of parentJobIds) {
    const key = jobId.toLowerCase();
    if (seen.has(key)) throw new ActionError('DUPLICATE_PARENT_JOB', `parent job ${jobId} is listed twice`, { details: { jobId } });
    seen.add(key);
  }
  const toBlock = await client.provider.getBlockNumber();
  for (const jobId of parentJobIds) {
    const receipts = client.contracts.computeReceipts;
    const [signer, status] = (await receipts.getFunction('outcomeOf')(jobId)) as [string, bigint];
    if (signer === ZeroAddress) {
      throw new ActionError('UNKNOWN_PARENT_JOB', `parent job ${jobId} has no receipt`, { details: { jobId } });
    }
    if (status !== 0n) {
      throw new ActionError('PARENT_JOB_NOT_SUCCEEDED', `parent job ${jobId} did not succeed (status ${status})`, { details: { jobId, status: Number(status) } });
    }
    const receipt = (await receipts.getFunction('getReceipt')(jobId)) as Result;
    const orderIds = [...(receipt.orderIds as string[])];
    const assetIds = [...(receipt.assetIds as bigint[])];
    for (let i = 0; i < orderIds.length; i++) {
      const datatoken = (await client.contracts.dataNFT.getFunction('datatokenOf')(assetIds[i])) as string;
      const logs = await getLogsRange(client.provider, { address: datatoken, topics: [ORDER_STARTED, orderIds[i]!] }, { fromBlock: 0, toBlock });
      const consumer = logs[0] ? getAddress(tokenIface.parseLog(logs[0])!.args.consumer as string) : undefined;
      if (consumer !== publisher) {
        throw new ActionError('NOT_PARENT_JOB_CONSUMER', `the publisher is not the consumer of parent job ${jobId}`, { details: { jobId, orderId: orderIds[i], consumer, publisher } });
      }
    }
  }
}
