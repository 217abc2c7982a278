import { getAddress } from 'ethers';
import type { CoveClientBase } from '../../client/base.js';
import { jobProof, type JobProof, type JobReceipt } from '../../contracts/index.js';
import { createReceiptLocator } from '../audit/receipt-locator.js';
import { ActionError } from '../errors.js';

/** A parent job found on-chain: its receipt and the proof `DataNFT.mint` takes. */
export type ParentJob = { receipt: JobReceipt; proof: JobProof };

/**
 * Finds each parent job's receipt in its batch and builds its lineage proof, checking the rules `DataNFT.mint`
 * enforces so a bad parent is a typed error before anything is stored: each listed once (`DUPLICATE_PARENT_JOB`),
 * recorded (`UNKNOWN_PARENT_JOB`), succeeded (`PARENT_JOB_NOT_SUCCEEDED`), bought by `publisher`
 * (`NOT_PARENT_JOB_CONSUMER`).
 *
 * @example
 * const parents = await parentJobs(client, [jobId], await signer.getAddress());
 */
export async function parentJobs(client: CoveClientBase, jobIds: string[], publisher: string): Promise<ParentJob[]> {
  const seen = new Set<string>();
  for (const jobId of jobIds) {
    const key = jobId.toLowerCase();
    if (seen.has(key)) throw new ActionError('DUPLICATE_PARENT_JOB', `parent job ${jobId} is listed twice`, { details: { jobId } });
    seen.add(key);
  }
  const toBlock = await client.provider.getBlockNumber();
  const locator = createReceiptLocator(client.provider, client.addresses.computeReceipts, { fromBlock: client.addresses.deploymentBlock ?? 0, toBlock });
  const who = getAddress(publisher);
  return Promise.all(
    jobIds.map(async (jobId) => {
      const found = await locator.locate(jobId);
      if (found === undefined || found.records !== 1) {
        const why = found === undefined ? 'has no receipt' : `has ${found.records} receipts (its provider reused the id)`;
        throw new ActionError('UNKNOWN_PARENT_JOB', `parent job ${jobId} ${why}`, { details: { jobId } });
      }
      const { receipt } = found;
      if (receipt.status !== 0) {
        throw new ActionError('PARENT_JOB_NOT_SUCCEEDED', `parent job ${jobId} did not succeed (status ${receipt.status})`, { details: { jobId, status: receipt.status } });
      }
      if (getAddress(receipt.consumer) !== who) {
        throw new ActionError('NOT_PARENT_JOB_CONSUMER', `the publisher is not the consumer of parent job ${jobId}`, { details: { jobId, consumer: receipt.consumer, publisher: who } });
      }
      return { receipt, proof: jobProof(found.receipts, found.index) };
    }),
  );
}
