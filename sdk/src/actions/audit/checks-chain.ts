import { getAddress, recoverAddress } from 'ethers';
import { hashReceipt, receiptDomain, type JobReceipt } from '../../contracts/index.js';
import type { JobContext } from './context.js';
import { decodeRecordJob } from './indexer.js';
import { isBefore } from './logs.js';
import { fail, pass, type AuditCheck, type AuditFailureCode } from './types.js';

/**
 * `providerSignature`: the signature passed to `recordJob` (decoded from the calldata)
 * recovers, over the stored receipt, to the provider ComputeReceipts recorded.
 */
export async function checkProviderSignature(ctx: JobContext): Promise<AuditCheck> {
  const name = 'providerSignature';
  if (ctx.recordLog === undefined) {
    return fail(name, 'RECORD_TX_NOT_FOUND', `no JobRecorded event for this job in blocks ${ctx.indexer.fromBlock}..${ctx.indexer.toBlock}`);
  }
  const txHash = ctx.recordLog.transactionHash;
  const tx = await ctx.indexer.transaction(txHash);
  if (tx === null) return fail(name, 'RECORD_TX_NOT_FOUND', `transaction ${txHash} is not available from the node`);
  const computeReceipts = ctx.client.addresses.computeReceipts;
  const decoded = tx.to !== null && getAddress(tx.to) === getAddress(computeReceipts) ? decodeRecordJob(tx.data) : undefined;
  if (decoded === undefined || decoded.receipt.jobId.toLowerCase() !== ctx.jobId) {
    return fail(name, 'SIGNATURE_NOT_DECODABLE', `transaction ${txHash} is not a direct recordJob call for this job (to ${tx.to}); the signature cannot be read from its calldata`, {
      transactionHash: txHash,
      to: tx.to,
    });
  }
  const domain = receiptDomain(ctx.client.chainId, computeReceipts);
  const storedDigest = hashReceipt(domain, ctx.stored.receipt);
  if (!sameReceipt(ctx.stored.receipt, decoded.receipt)) {
    return fail(name, 'CALLDATA_RECEIPT_MISMATCH', 'the receipt in the recordJob calldata differs from the stored receipt', {
      storedDigest,
      calldataDigest: hashReceipt(domain, decoded.receipt),
      transactionHash: txHash,
    });
  }
  let signer: string;
  try {
    // The digest is the EIP-712 hash of the stored receipt, so this is verifyTypedData without hashing twice.
    signer = getAddress(recoverAddress(storedDigest, decoded.signature));
  } catch (err) {
    return fail(name, 'SIGNATURE_INVALID', `the signature does not recover: ${err instanceof Error ? err.message : String(err)}`, { signature: decoded.signature });
  }
  const details = { signer, recordedProvider: ctx.stored.provider, digest: storedDigest, signature: decoded.signature, transactionHash: txHash };
  if (signer !== ctx.stored.provider) {
    return fail(name, 'SIGNER_MISMATCH', `the signature recovers to ${signer}, but the recorded provider is ${ctx.stored.provider}`, details);
  }
  return pass(name, `EIP-712 signature from transaction ${txHash} recovers to the recorded provider ${signer}`, details);
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
  const problems: { orderId: string; assetId: string; code: AuditFailureCode; reason: string }[] = [];
  const orders = await Promise.all(
    receipt.orderIds.map(async (orderId, i) => {
      const assetId = receipt.assetIds[i]!;
      const bad = (code: AuditFailureCode, reason: string) => problems.push({ orderId, assetId: assetId.toString(), code, reason });
      const datatoken = await ctx.indexer.datatokenOf(assetId);
      const [info, event, spentBy] = await Promise.all([
        ctx.indexer.orderInfo(datatoken, orderId),
        ctx.indexer.orderStarted(datatoken, orderId),
        ctx.indexer.jobIdOf(orderId),
      ]);
      if (info.validUntil === 0n) bad('ORDER_UNKNOWN', `order ${orderId} does not exist on asset ${assetId}'s datatoken ${datatoken}`);
      else {
        if (info.provider !== provider) bad('ORDER_PROVIDER_MISMATCH', `order ${orderId} names provider ${info.provider}, not ${provider}`);
        if (receipt.startedAt > info.validUntil) bad('ORDER_EXPIRED', `the job started at ${receipt.startedAt}, after order ${orderId} expired at ${info.validUntil}`);
      }
      if (event === undefined) bad('ORDER_EVENT_MISSING', `no OrderStarted event for ${orderId} on ${datatoken} in the blocks searched`);
      else if (event.assetId !== assetId || event.provider !== info.provider || event.validUntil !== info.validUntil || event.serviceId !== info.serviceId) {
        bad('ORDER_EVENT_MISMATCH', `the OrderStarted event of ${orderId} disagrees with orderInfo`);
      }
      if (spentBy.toLowerCase() !== ctx.jobId) bad('ORDER_SPENT_BY_OTHER_JOB', `order ${orderId} is recorded as spent by job ${spentBy}`);
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

/** Field-by-field equality of two receipts (bigints and hex compared by value). */
function sameReceipt(a: JobReceipt, b: JobReceipt): boolean {
  const norm = (r: JobReceipt) =>
    JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : typeof v === 'string' && v.startsWith('0x') ? v.toLowerCase() : v));
  return norm(a) === norm(b);
}
