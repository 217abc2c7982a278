import { ProviderError } from '../errors.js';
import type { AssetRecord, AssetView, ChainPort, DocumentsPort, OrderEvent } from '../ports.js';
import type { DatasetOrderMessage } from '@cove/sdk';
import type { Store } from '../db/store.js';

export type CheckOrdersDeps = {
  chain: Pick<ChainPort, 'getAsset' | 'getOrderEvents' | 'latestTimestamp'>;
  documents: DocumentsPort;
  store: Pick<Store, 'usedOrders'>;
  providerAddress: string;
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
 * chain), which has not expired at the latest block and has not been used here before.
 * Throws the first failing check as a ProviderError.
 * @example
 * const datasets = await checkOrders(deps, { consumer, datasets: req.datasets, serviceType: 'compute' });
 */
export async function checkOrders(
  deps: CheckOrdersDeps,
  params: { consumer: string; datasets: DatasetOrderMessage[]; serviceType: 'access' | 'compute'; signal?: AbortSignal },
): Promise<CheckedDataset[]> {
  const ids = params.datasets.map((d) => BigInt(d.assetId));
  if (new Set(ids.map(String)).size !== ids.length) throw new ProviderError('VALIDATION', 'each asset may appear once per request');
  const now = await deps.chain.latestTimestamp();
  const checked = await Promise.all(params.datasets.map((d) => checkOne(deps, { ...params, dataset: d, now })));
  const orderIds = checked.map((c) => c.order.orderId);
  if (new Set(orderIds.map((o) => o.toLowerCase())).size !== orderIds.length) throw new ProviderError('VALIDATION', 'each order may appear once per request');
  const used = deps.store.usedOrders(orderIds);
  if (used.length > 0) throw new ProviderError('ORDER_ALREADY_USED', 'order already used', { details: { orderId: used[0] } });
  return checked;
}

async function checkOne(
  deps: CheckOrdersDeps,
  p: { consumer: string; dataset: DatasetOrderMessage; serviceType: 'access' | 'compute'; now: bigint; signal?: AbortSignal },
): Promise<CheckedDataset> {
  const assetId = BigInt(p.dataset.assetId);
  const details = { assetId: p.dataset.assetId, orderTxHash: p.dataset.orderTxHash };
  const [asset, events] = await Promise.all([deps.chain.getAsset(assetId), deps.chain.getOrderEvents(p.dataset.orderTxHash)]);
  if (!asset) throw new ProviderError('ASSET_NOT_FOUND', 'no such asset', { details });
  if (!events || events.length === 0) throw new ProviderError('ORDER_NOT_FOUND', 'no order in that transaction', { details });

  const order = events.find((e) => same(e.emitter, asset.datatoken) && e.assetId === assetId);
  if (!order) throw new ProviderError('ORDER_ASSET_MISMATCH', "the transaction holds no order of this asset's datatoken", { details });
  if (!same(order.provider, deps.providerAddress)) throw new ProviderError('ORDER_PROVIDER_MISMATCH', 'order names another provider', { details });
  if (!same(order.consumer, p.consumer)) throw new ProviderError('ORDER_CONSUMER_MISMATCH', 'order belongs to another consumer', { details });
  if (order.serviceId !== p.dataset.serviceId) throw new ProviderError('ORDER_SERVICE_MISMATCH', 'order is for another service', { details });
  if (order.validUntil < p.now) {
    throw new ProviderError('ORDER_EXPIRED', 'order expired', { details: { ...details, validUntil: String(order.validUntil), now: String(p.now) } });
  }

  const view = await deps.documents.load({ cid: asset.documentCid, expectedHash: asset.metadataHash, ...(p.signal ? { signal: p.signal } : {}) });
  if (!same(view.provider.address, deps.providerAddress)) throw new ProviderError('ASSET_NOT_SERVED', 'the asset names another provider', { details });
  const service = view.services.find((s) => s.id === p.dataset.serviceId);
  if (!service || service.type !== p.serviceType) {
    throw new ProviderError('SERVICE_NOT_OFFERED', `asset offers no ${p.serviceType} service '${p.dataset.serviceId}'`, { details });
  }
  return { assetId, serviceId: p.dataset.serviceId, txHash: p.dataset.orderTxHash, order, asset, view };
}
