import type { CoveClientBase } from '../../client/base.js';
import type { JobReceipt } from '../../contracts/index.js';
import { createReceiptLocator, type BatchRecord } from './receipt-locator.js';

export type GetReceiptParameters = { jobId: string };
/** A job's receipt as recorded (rebuilt from its batch's events), with its batch; undefined when none is on-chain. */
export type GetReceiptReturnType = (JobReceipt & { root: string; batch: BatchRecord; transactionHash: string }) | undefined;

/**
 * A job's recorded receipt, read from the chain's events (receipts v2 store one slot per batch, not the receipt). It
 * is what the chain recorded, not yet a verdict: `verifyJob` checks it.
 *
 * @example
 * const receipt = await getReceipt(client, { jobId });
 */
export async function getReceipt(client: CoveClientBase, params: GetReceiptParameters): Promise<GetReceiptReturnType> {
  const toBlock = await client.provider.getBlockNumber();
  const locator = createReceiptLocator(client.provider, client.addresses.computeReceipts, { fromBlock: client.addresses.deploymentBlock ?? 0, toBlock });
  const found = await locator.locate(params.jobId);
  if (found === undefined) return undefined;
  return { ...found.receipt, root: found.root, batch: found.batch, transactionHash: found.log.transactionHash };
}
