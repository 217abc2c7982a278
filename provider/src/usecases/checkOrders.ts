import { ProviderError } from '../errors.js';
import type { AssetRecord, AssetView, ChainPort, CryptoPort, DocumentsPort, OrderEvent } from '../ports.js';
import type { DatasetOrderMessage } from '@cove/sdk';
import type { Store } from '../db/store.js';

export type CheckOrdersDeps = {
  chain: Pick<ChainPort, 'chainId' | 'getAsset' | 'creatorOf' | 'orderSpent' | 'getOrderEvents' | 'latestTimestamp'>;
  documents: DocumentsPort;
  /** Opens each document's sealed key to check its binding (the key itself is wiped at once). */
  crypto: Pick<CryptoPort, 'bindingOf'>;
  store: Pick<Store, 'usedOrders'>;
  providerAddress: string;
  /** The DataNFT this provider serves (config `COVE_DATA_NFT_ADDRESS`): a key bound to another is refused. */
  dataNft: string;
};

/** One dataset of a request whose order passed every check, with its trusted document. */
export type CheckedDataset = {
  assetId: bigint;
  serviceId: string;
  txHash: string;
  order: OrderEvent;
  asset: AssetRecord;
  view: AssetView;
};

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Checks each dataset's order on-chain: the transaction holds an `OrderStarted` log
 * emitted by THAT asset's datatoken (address from the DataNFT) for that asset, whose
 * consumer is the signer, whose provider is this provider, whose service matches a
 * service of `serviceType` in the asset's document (loaded and hash-checked against the
 * chain), which has not expired at the latest block, and has been spent neither on-chain
 * (its datatoken marks it spent by a receipt, whichever instance posted it) nor here before. The document's
 * sealed key must open with this provider's key and be bound to this chain, this DataNFT
 * and the asset's creator (`creatorOf`), so a content block copied into another asset is
 * refused. Throws the first failing check as a ProviderError; nothing is consumed.
 * @example
 * const datasets = await checkOrders(deps, { consumer, datasets: req.datasets, serviceType: 'compute' });
 */
export async function checkOrders(
  deps: CheckOrdersDeps,
  params: { consumer: string; datasets: DatasetOrderMessage[]; serviceType: 'access' | 'compute'; signal?: AbortSignal },
): Promise<CheckedDataset[]> {
  const ids = params.datasets.map((d) => BigInt(d.assetId));
  if (new Set(ids.map(String)).size !== ids.length) throw new ProviderError('VALIDATION', 'each asset may appear once per request');
  // Every first read (the latest block, each asset, order and creator) goes out at once.
  const checked = await Promise.all(params.datasets.map((d) => checkOne(deps, { ...params, dataset: d })));
  const orderIds = checked.map((c) => c.order.orderId);
  if (new Set(orderIds.map((o) => o.toLowerCase())).size !== orderIds.length) throw new ProviderError('VALIDATION', 'each order may appear once per request');
  const used = deps.store.usedOrders(orderIds);
  if (used.length > 0) throw new ProviderError('ORDER_ALREADY_USED', 'order already used', { details: { orderId: used[0] } });
  return checked;
}

async function checkOne(
  deps: CheckOrdersDeps,
  p: { consumer: string; dataset: DatasetOrderMessage; serviceType: 'access' | 'compute'; signal?: AbortSignal },
): Promise<CheckedDataset> {
  const assetId = BigInt(p.dataset.assetId);
  const details = { assetId: p.dataset.assetId, orderTxHash: p.dataset.orderTxHash };
  // The creator is read with the asset and the order (one round trip, batched by the RPC client); it is used only once the key is opened.
  const [now, asset, events, creator] = await Promise.all([deps.chain.latestTimestamp(), deps.chain.getAsset(assetId), deps.chain.getOrderEvents(p.dataset.orderTxHash), deps.chain.creatorOf(assetId)]);
  if (!asset) throw new ProviderError('ASSET_NOT_FOUND', 'no such asset', { details });
  if (!events || events.length === 0) throw new ProviderError('ORDER_NOT_FOUND', 'no order in that transaction', { details });

  const order = events.find((e) => same(e.emitter, asset.datatoken) && e.assetId === assetId);
  if (!order) throw new ProviderError('ORDER_ASSET_MISMATCH', "the transaction holds no order of this asset's datatoken", { details });
  if (!same(order.provider, deps.providerAddress)) throw new ProviderError('ORDER_PROVIDER_MISMATCH', 'order names another provider', { details });
  if (!same(order.consumer, p.consumer)) throw new ProviderError('ORDER_CONSUMER_MISMATCH', 'order belongs to another consumer', { details });
  if (order.serviceId !== p.dataset.serviceId) throw new ProviderError('ORDER_SERVICE_MISMATCH', 'order is for another service', { details });
  if (order.validUntil < now) {
    throw new ProviderError('ORDER_EXPIRED', 'order expired', { details: { ...details, validUntil: String(order.validUntil), now: String(now) } });
  }
  // The chain is the one record every instance shares: an order a receipt spent is spent everywhere.
  const spent = await deps.chain.orderSpent({ datatoken: asset.datatoken, orderId: order.orderId });
  if (spent !== undefined) {
    throw new ProviderError('ORDER_ALREADY_USED', 'order already spent on-chain by a job receipt', { details: { orderId: order.orderId, ...(spent.jobId !== undefined && { jobId: spent.jobId }) } });
  }

  const view = await deps.documents.load({ cid: asset.documentCid, expectedHash: asset.metadataHash, ...(p.signal ? { signal: p.signal } : {}) });
  if (!same(view.provider.address, deps.providerAddress)) throw new ProviderError('ASSET_NOT_SERVED', 'the asset names another provider', { details });
  const service = view.services.find((s) => s.id === p.dataset.serviceId);
  if (!service || service.type !== p.serviceType) {
    throw new ProviderError('SERVICE_NOT_OFFERED', `asset offers no ${p.serviceType} service '${p.dataset.serviceId}'`, { details });
  }
  checkKeyBinding(deps, { assetId, sealedKey: view.content.sealedKey, creator });
  return { assetId, serviceId: p.dataset.serviceId, txHash: p.dataset.orderTxHash, order, asset, view };
}

/**
 * The document's sealed key must open with this provider's key and carry a binding to this
 * chain, this provider's DataNFT and the asset's creator on-chain. The creator, not the
 * current holder: a sold asset keeps working, while an asset that copies another's content
 * block (minted by someone else) does not. The opened key is wiped before returning.
 */
function checkKeyBinding(deps: CheckOrdersDeps, p: { assetId: bigint; sealedKey: string; creator: string | undefined }): void {
  const details = { assetId: String(p.assetId) };
  let binding: ReturnType<CryptoPort['bindingOf']>;
  try {
    binding = deps.crypto.bindingOf(p.sealedKey);
  } catch (cause) {
    throw new ProviderError('KEY_NOT_SEALED_TO_PROVIDER', "the asset's content key is not sealed to this provider", { details, cause });
  }
  if (binding === undefined) throw new ProviderError('KEY_BINDING_MISMATCH', "the asset's content key is not bound to an asset", { details });
  if (binding.chainId !== deps.chain.chainId || !same(binding.dataNft, deps.dataNft)) {
    throw new ProviderError('KEY_BINDING_MISMATCH', "the asset's content key is bound to another chain or DataNFT", { details });
  }
  const { creator } = p;
  if (creator === undefined || !same(binding.publisher, creator)) {
    throw new ProviderError('KEY_BINDING_MISMATCH', "the asset's content key was sealed for another publisher's asset", { details });
  }
}
