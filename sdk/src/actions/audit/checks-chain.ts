import { getAddress, recoverAddress } from 'ethers';
import { hashReceiptBatch, merkleRoot, receiptDomain, receiptLeaf } from '../../contracts/index.js';
import type { JobContext } from './context.js';
import { isBefore } from './logs.js';
import { decodeRecordCall } from './receipt-locator.js';
import { fail, pass, type AuditCheck, type AuditFailureCode } from './types.js';

/**
 * `providerSignature`: the batch's receipts, rebuilt from its events, hash to the recorded root; the transaction's
 * calldata holds the same receipts; and its signature over `ReceiptBatch(root, count)` recovers to the batch's
 * provider, which is also the provider the job id names.
 */
export async function checkProviderSignature(ctx: JobContext): Promise<AuditCheck> {
  const name = 'providerSignature';
  const { stored } = ctx;
  const txHash = stored.log.transactionHash;
  // The batch's part of the check is the same for each of its jobs: done once per batch and audit.
  const batch = await ctx.indexer.shared(`batch-signature:${stored.root}:${txHash}`, () => checkBatch(ctx));
  if (!batch.ok) return fail(name, batch.code, batch.reason, batch.details);
  const { signer } = batch;
  const named = getAddress('0x' + ctx.jobId.slice(2, 42));
  const details = { ...batch.details, jobIdProvider: named, index: stored.index };
  if (signer !== named) {
    return fail(name, 'SIGNER_MISMATCH', `the batch signature recovers to ${signer}; the batch's provider is ${stored.provider} and the job id names ${named}`, details);
  }
  const where = stored.receipts.length === 1 ? 'its own batch' : `receipt ${stored.index + 1} of a batch of ${stored.receipts.length}`;
  return pass(name, `${where} (root ${stored.root.slice(0, 10)}…) is signed in transaction ${txHash} by ${signer}, the provider the job id names`, details);
}

type BatchCheck = { ok: true; signer: string; details: Record<string, unknown> } | { ok: false; code: AuditFailureCode; reason: string; details?: Record<string, unknown> };

/** The batch of `ctx`'s job: its events hash to its root, its calldata holds the same receipts, its signer. */
async function checkBatch(ctx: JobContext): Promise<BatchCheck> {
  const { stored } = ctx;
  const txHash = stored.log.transactionHash;
  const bad = (code: AuditFailureCode, reason: string, details?: Record<string, unknown>): BatchCheck => ({ ok: false, code, reason, ...(details && { details }) });
  const root = merkleRoot(stored.receipts.map(receiptLeaf));
  if (root !== stored.root) {
    return bad('MERKLE_ROOT_MISMATCH', `the batch's ${stored.receipts.length} receipt(s) rebuilt from its events hash to ${root}, not to the recorded root ${stored.root}`, { root: stored.root, rebuilt: root, transactionHash: txHash });
  }
  const tx = await ctx.indexer.transaction(txHash);
  if (tx === null) return bad('RECORD_TX_NOT_FOUND', `transaction ${txHash} is not available from the node`);
  const computeReceipts = ctx.client.addresses.computeReceipts;
  const decoded = tx.to !== null && getAddress(tx.to) === getAddress(computeReceipts) ? decodeRecordCall(tx.data) : undefined;
  if (decoded === undefined) {
    return bad('SIGNATURE_NOT_DECODABLE', `transaction ${txHash} is not a direct recordJob/recordBatch call (to ${tx.to}); the signature cannot be read from its calldata`, { transactionHash: txHash, to: tx.to });
  }
  // The calldata's receipts hash to the same root exactly when they are the events' receipts.
  if (decoded.receipts.length !== stored.receipts.length || merkleRoot(decoded.receipts.map(receiptLeaf)) !== root) {
    return bad('CALLDATA_RECEIPT_MISMATCH', 'the receipts in the transaction calldata differ from those its events recorded', { transactionHash: txHash });
  }
  const domain = receiptDomain(ctx.client.chainId, computeReceipts);
  const digest = hashReceiptBatch(domain, stored.root, stored.receipts.length);
  let signer: string;
  try {
    signer = getAddress(recoverAddress(digest, decoded.signature));
  } catch (err) {
    return bad('SIGNATURE_INVALID', `the signature does not recover: ${err instanceof Error ? err.message : String(err)}`, { signature: decoded.signature });
  }
  const details = { signer, recordedProvider: stored.provider, root: stored.root, count: stored.receipts.length, digest, signature: decoded.signature, transactionHash: txHash };
  if (signer !== stored.provider) return bad('SIGNER_MISMATCH', `the batch signature recovers to ${signer}, but the batch's provider is ${stored.provider}`, details);
  return { ok: true, signer, details };
}

/**
 * `providerRegistered`: the recorded provider was registered in ProviderRegistry when
 * `recordJob` ran (from its Registered/Deregistered events) and is registered now.
 */
export async function checkProviderRegistered(ctx: JobContext): Promise<AuditCheck> {
  const name = 'providerRegistered';
  const who = ctx.stored.provider;
  const { events, registeredNow } = await ctx.indexer.registry(who);
  const history = events.map((e) => ({ registered: e.registered, blockNumber: e.blockNumber, transactionHash: e.transactionHash }));
  if (events.length === 0 && !registeredNow) {
    return fail(name, 'PROVIDER_NEVER_REGISTERED', `${who} has no registration in ProviderRegistry (blocks ${ctx.indexer.fromBlock}..${ctx.indexer.toBlock})`, { provider: who });
  }
  const recorded = ctx.recorded;
  if (recorded !== undefined) {
    const atJob = events.filter((e) => isBefore(e, recorded)).at(-1);
    if (atJob === undefined || !atJob.registered) {
      const code: AuditFailureCode = atJob === undefined ? 'PROVIDER_NEVER_REGISTERED' : 'PROVIDER_NOT_REGISTERED_AT_JOB';
      const why = atJob === undefined ? 'no registration event precedes it' : `it deregistered at block ${atJob.blockNumber} (tx ${atJob.transactionHash})`;
      return fail(name, code, `${who} was not registered when the job was recorded at block ${recorded.blockNumber}: ${why}`, { provider: who, history });
    }
  }
  if (!registeredNow) {
    const left = events.filter((e) => !e.registered).at(-1);
    const where = left === undefined ? '' : ` at block ${left.blockNumber} (tx ${left.transactionHash})`;
    return fail(name, 'PROVIDER_DEREGISTERED', `${who} deregistered${where} after the job and is no longer registered`, {
      provider: who,
      history,
      ...(left && { deregisteredAt: { blockNumber: left.blockNumber, transactionHash: left.transactionHash } }),
    });
  }
  if (recorded === undefined) {
    return fail(name, 'RECORD_TX_NOT_FOUND', `${who} is registered now, but the job's recordJob transaction was not found to check it then`, { provider: who, history });
  }
  return pass(name, `${who} was registered at block ${recorded.blockNumber} when the job was recorded and is registered now`, { provider: who, history });
}

/**
 * `ordersValid`: each order exists on its asset's datatoken, names the provider, has its
 * `OrderStarted` event, was not expired when the job started, and is spent by this job.
 */
export async function checkOrdersValid(ctx: JobContext): Promise<AuditCheck> {
  const name = 'ordersValid';
  const { receipt, provider } = ctx.stored;
  const consumer = receipt.consumer;
  const problems: { orderId: string; assetId: string; code: AuditFailureCode; reason: string }[] = [];
  const orders = await Promise.all(
    receipt.orderIds.map(async (orderId, i) => {
      const assetId = receipt.assetIds[i]!;
      const bad = (code: AuditFailureCode, reason: string) => problems.push({ orderId, assetId: assetId.toString(), code, reason });
      const datatoken = await ctx.indexer.datatokenOf(assetId);
      const [info, event, spentBy] = await Promise.all([
        ctx.indexer.orderInfo(datatoken, orderId),
        ctx.indexer.orderStarted(datatoken, orderId),
        ctx.indexer.consumersOf(orderId),
      ]);
      if (info.validUntil === 0n) bad('ORDER_UNKNOWN', `order ${orderId} does not exist on asset ${assetId}'s datatoken ${datatoken}`);
      else {
        if (info.provider !== provider) bad('ORDER_PROVIDER_MISMATCH', `order ${orderId} names provider ${info.provider}, not ${provider}`);
        if (receipt.startedAt > info.validUntil) bad('ORDER_EXPIRED', `the job started at ${receipt.startedAt}, after order ${orderId} expired at ${info.validUntil}`);
        if (!info.spent) bad('ORDER_NOT_SPENT', `order ${orderId} is not marked spent on its datatoken`);
      }
      if (event === undefined) bad('ORDER_EVENT_MISSING', `no OrderStarted event for ${orderId} on ${datatoken} in the blocks searched`);
      else if (event.assetId !== assetId || event.provider !== info.provider || event.validUntil !== info.validUntil || event.serviceId !== info.serviceId) {
        bad('ORDER_EVENT_MISMATCH', `the OrderStarted event of ${orderId} disagrees with orderInfo`);
      } else if (event.consumer !== consumer) {
        bad('ORDER_CONSUMER_MISMATCH', `order ${orderId} was bought for ${event.consumer}, but the receipt names consumer ${consumer}`);
      }
      if (spentBy.length !== 1 || spentBy[0] !== ctx.jobId) bad('ORDER_SPENT_BY_OTHER_JOB', `order ${orderId} is recorded as spent by job(s) ${spentBy.join(', ') || 'none'}`);
      return {
        orderId,
        assetId: assetId.toString(),
        datatoken,
        provider: info.provider,
        serviceId: Number(info.serviceId),
        validUntil: info.validUntil.toString(),
        ...(event && { consumer: event.consumer, payer: event.payer, orderedAt: { blockNumber: event.blockNumber, transactionHash: event.transactionHash } }),
      };
    }),
  );
  if (problems.length > 0) return fail(name, problems[0]!.code, problems.map((p) => p.reason).join('; '), { orders, problems });
  const summary = orders.map((o) => `${o.orderId.slice(0, 10)}… (asset ${o.assetId}, service ${o.serviceId}, consumer ${o.consumer})`).join(', ');
  return pass(name, `${orders.length} order(s) exist, name ${provider}, were valid at job start (${receipt.startedAt}) and are spent by this job: ${summary}`, { orders });
}
