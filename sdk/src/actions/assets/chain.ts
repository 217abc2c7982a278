import { toBeHex, zeroPadValue, type Addressable, type ContractTransactionResponse, type Interface, type Log, type TransactionReceipt } from 'ethers';
import type { AssetPublishedEvent } from '../../contracts/typechain/AssetFactory.js';
import type { CoveClientBase } from '../../client/base.js';
import { ASSET_KIND, PRICING } from '../../contracts/index.js';
import { throwIfAborted } from '../../crypto/errors.js';
import { getLogsRange } from '../audit/logs.js';
import { ActionError, asAction } from '../errors.js';

export type AssetKindName = keyof typeof ASSET_KIND;
export type PricingName = 'none' | 'fixedRate' | 'dispenser';

const KIND_NAMES = Object.fromEntries(Object.entries(ASSET_KIND).map(([k, v]) => [v, k])) as Record<number, AssetKindName>;
const PRICING_NAMES = Object.fromEntries(Object.entries(PRICING).map(([k, v]) => [v, k])) as Record<number, PricingName>;

/** The asset kind's name for an on-chain `AssetKind` value. */
export const kindName = (kind: bigint | number): AssetKindName => KIND_NAMES[Number(kind)] ?? 'dataset';
/** The pricing's name for an on-chain `Pricing` value. */
export const pricingName = (pricing: bigint | number): PricingName => PRICING_NAMES[Number(pricing)] ?? 'none';

/**
 * Sends one transaction and waits for it to be mined; reverts (at estimation or on-chain)
 * become coded `ActionError`s.
 */
export async function sendTx(action: string, send: () => Promise<ContractTransactionResponse>, signal?: AbortSignal): Promise<TransactionReceipt> {
  throwIfAborted(signal);
  return asAction(action, async () => {
    const tx = await send();
    const receipt = await tx.wait();
    if (receipt === null || receipt.status !== 1) throw new ActionError('TRANSACTION_FAILED', `${action}: transaction ${tx.hash} failed`, { details: { txHash: tx.hash } });
    return receipt;
  });
}

/** The arguments of the first `name` event `contract` emitted in `logs`. */
export function eventArgs(logs: readonly Log[], contract: { target: string | Addressable; interface: Interface }, name: string): Record<string, unknown> {
  const address = String(contract.target).toLowerCase();
  for (const log of logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = contract.interface.parseLog(log);
    if (parsed?.name === name) return parsed.args.toObject();
  }
  throw new ActionError('TRANSACTION_FAILED', `no ${name} event in the transaction`);
}

/**
 * The logs of one contract's event from `fromBlock` (default the deployment block) to `toBlock`
 * (default the head), asked in bounded `eth_getLogs` ranges that halve when the RPC refuses one,
 * so it works on public endpoints that cap the range. `topics` are the indexed arguments (null:
 * any). Each log is returned with its parsed arguments.
 */
export async function queryEvents(
  client: Pick<CoveClientBase, 'provider' | 'addresses'>,
  contract: { target: string | Addressable; interface: Interface },
  event: string,
  topics: (string | null)[],
  range: { fromBlock?: number; toBlock?: number } = {},
): Promise<{ log: Log; args: Record<string, unknown> }[]> {
  const fragment = contract.interface.getEvent(event);
  if (fragment === null) throw new ActionError('TRANSACTION_FAILED', `no ${event} event in the ABI`);
  const toBlock = range.toBlock ?? (await client.provider.getBlockNumber());
  const fromBlock = range.fromBlock ?? client.addresses.deploymentBlock ?? 0;
  const logs = await getLogsRange(client.provider, { address: String(contract.target), topics: [fragment.topicHash, ...topics] }, { fromBlock, toBlock });
  return logs.map((log) => ({ log, args: contract.interface.parseLog(log)!.args.toObject() }));
}

/** What the DataNFT holds for an asset. */
export type AssetRecord = {
  assetId: bigint;
  owner: string;
  kind: AssetKindName;
  datatoken: string;
  documentCid: string;
  metadataHash: string;
  parentJobIds: string[];
};

/**
 * Reads an asset's on-chain record; `ASSET_NOT_FOUND` when the token does not exist.
 *
 * @example
 * const record = await readAssetRecord(client, 1n);
 */
export async function readAssetRecord(client: Pick<CoveClientBase, 'contracts' | 'addresses' | 'provider'>, assetId: bigint): Promise<AssetRecord> {
  const nft = client.contracts.dataNFT;
  const datatoken = await asAction('getAsset', () => nft.datatokenOf(assetId));
  const [owner, kind, documentCid, metadataHash, lineage] = await asAction('getAsset', () =>
    Promise.all([
      nft.ownerOf(assetId),
      nft.kindOf(assetId),
      nft.cidOf(assetId),
      nft.metadataHash(assetId),
      nft.hasLineage(assetId),
    ]),
  );
  // Lineage lives in the mint's `LineageRecorded` events (one per parent, in order), not in storage.
  const parents = lineage ? await asAction('getAsset', () => queryEvents(client, nft, 'LineageRecorded', [zeroPadValue(toBeHex(assetId), 32)])) : [];
  const parentJobIds = parents.map((e) => (e.args.jobId as string).toLowerCase());
  return { assetId, owner, kind: kindName(kind), datatoken, documentCid, metadataHash, parentJobIds };
}

/** The `AssetPublished` event of an asset: who published it and how it was priced. */
export type PublishedEvent = {
  assetId: bigint;
  publisher: string;
  datatoken: string;
  kind: AssetKindName;
  pricing: PricingName;
  /** The exchange offer id for `fixedRate`, else 0. */
  pricingId: bigint;
  blockNumber: number;
  txHash: string;
};

/** Decodes an `AssetPublished` log. */
export function toPublishedEvent(args: AssetPublishedEvent.OutputObject, log: { blockNumber: number; transactionHash: string }): PublishedEvent {
  return {
    assetId: args.assetId,
    publisher: args.publisher,
    datatoken: args.datatoken,
    kind: kindName(args.kind),
    pricing: pricingName(args.pricing),
    pricingId: args.pricingId,
    blockNumber: log.blockNumber,
    txHash: log.transactionHash,
  };
}

/**
 * The `AssetPublished` event of `assetId` (found by its indexed id); `ASSET_NOT_FOUND` when none.
 *
 * @example
 * const { pricing, pricingId } = await findPublishedEvent(client, 1n);
 */
export async function findPublishedEvent(client: Pick<CoveClientBase, 'contracts' | 'provider' | 'addresses'>, assetId: bigint, fromBlock?: number): Promise<PublishedEvent> {
  const found = await asAction('findPublishedEvent', () => queryEvents(client, client.contracts.assetFactory, 'AssetPublished', [zeroPadValue(toBeHex(assetId), 32)], { ...(fromBlock !== undefined && { fromBlock }) }));
  const first = found[0];
  if (first === undefined) throw new ActionError('ASSET_NOT_FOUND', `asset ${assetId} was not published by this factory`, { details: { assetId: String(assetId) } });
  return toPublishedEvent(first.args as unknown as AssetPublishedEvent.OutputObject, first.log);
}
