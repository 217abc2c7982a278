import { AbiCoder, Interface, getAddress } from 'ethers';
import { requireSigner, type CoveClientBase } from '../../client/base.js';
import { computeReceiptsAbi, jobRuntimeName, jobStatusName, type JobRuntimeName, type JobStatusName } from '../../contracts/index.js';
import { getLogsRange } from '../audit/logs.js';

export type ListJobsParameters = {
  /** Whose jobs: default the client's signer. */
  consumer?: string;
};

/** A job with a receipt on-chain, as its `JobRecorded` event states it (verify it with `verifyJob`). */
export type ListedJob = {
  jobId: string;
  provider: string;
  status: JobStatusName | undefined;
  runtime: JobRuntimeName | undefined;
  startedAt: bigint;
  finishedAt: bigint;
  resultCid: string;
  blockNumber: number;
  transactionHash: string;
};

const iface = new Interface(computeReceiptsAbi);
const EVENT = iface.getEvent('JobRecorded')!;
const DATA = EVENT.inputs.filter((p) => !p.indexed);

/**
 * The consumer's jobs that have a receipt, newest first: one log query on `JobRecorded`'s consumer topic from the
 * deployment's start block. Jobs still running have no receipt yet (`cove job <id>` asks their provider).
 *
 * @example
 * for (const job of await listJobs(client)) console.log(job.jobId, job.status);
 */
export async function listJobs(client: CoveClientBase, params: ListJobsParameters = {}): Promise<ListedJob[]> {
  const consumer = getAddress(params.consumer ?? (await requireSigner(client).getAddress()));
  const toBlock = await client.provider.getBlockNumber();
  const topic = '0x' + consumer.slice(2).toLowerCase().padStart(64, '0');
  const logs = await getLogsRange(client.provider, { address: client.addresses.computeReceipts, topics: [EVENT.topicHash, null, null, topic] }, { fromBlock: client.addresses.deploymentBlock ?? 0, toBlock });
  return logs.reverse().map((log) => {
    const a = AbiCoder.defaultAbiCoder().decode(DATA, log.data);
    const jobId = log.topics[1]!.toLowerCase();
    return {
      jobId,
      provider: getAddress('0x' + jobId.slice(2, 42)),
      status: jobStatusName(Number(a.status)),
      runtime: jobRuntimeName(Number(a.runtime)),
      startedAt: BigInt(a.startedAt),
      finishedAt: BigInt(a.finishedAt),
      resultCid: a.resultCid as string,
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
    };
  });
}
