import { getAddress } from 'ethers';
import { requireSigner, type CoveClientBase } from '../../client/base.js';
import { computeOrderId, getDatatoken, ORDER_AMOUNT } from '../../contracts/index.js';
import { ActionError, asAction } from '../errors.js';
import { eventArgs, readAssetRecord, sendTx } from '../assets/chain.js';
import { getAsset } from '../assets/getAsset.js';

export type OrderAssetParameters = {
  assetId: bigint;
  /** Default 0 (the first service). */
  serviceId?: number;
  /** The provider named in the order; default the one in the asset's (verified) document. */
  provider?: string;
  /** Who may use the order; default the signer. */
  consumer?: string;
  signal?: AbortSignal;
};

export type OrderAssetReturnType = {
  orderId: string;
  txHash: string;
  /** Unix seconds after which the order is expired. */
  validUntil: bigint;
  datatoken: string;
  serviceId: number;
  provider: string;
  consumer: string;
};

/**
 * Spends one datatoken on an order (`Datatoken.startOrder`) for a service and provider. The
 * order id is derived beforehand (`computeOrderId`) and checked against the event.
 *
 * Errors: `ASSET_NOT_FOUND`, `UNKNOWN_SERVICE`, `INSUFFICIENT_BALANCE` (fewer than one
 * datatoken), `ORDER_ID_MISMATCH`.
 *
 * @example
 * const { orderId, txHash } = await orderAsset(client, { assetId, serviceId: 0 });
 */
export async function orderAsset(client: CoveClientBase, params: OrderAssetParameters): Promise<OrderAssetReturnType> {
  const signer = requireSigner(client);
  const payer = getAddress(await signer.getAddress());
  const serviceId = params.serviceId ?? 0;
  const asset = params.provider === undefined ? await getAsset(client, { assetId: params.assetId, ...(params.signal ? { signal: params.signal } : {}) }) : undefined;
  const record = asset ?? (await readAssetRecord(client, params.assetId));
  const provider = getAddress(params.provider ?? asset!.document.provider.address);
  const consumer = getAddress(params.consumer ?? payer);
  const dt = getDatatoken(record.datatoken, signer);
  const details = { assetId: String(params.assetId), serviceId };

  const [count, balance, nonce] = await asAction('orderAsset', () =>
    Promise.all([dt.serviceCount() as Promise<bigint>, dt.balanceOf(payer) as Promise<bigint>, dt.orderNonce(payer) as Promise<bigint>]),
  );
  if (!Number.isInteger(serviceId) || serviceId < 0 || BigInt(serviceId) >= count) throw new ActionError('UNKNOWN_SERVICE', `asset ${params.assetId} has ${count} services`, { details });
  if (balance < ORDER_AMOUNT) throw new ActionError('INSUFFICIENT_BALANCE', `an order spends one datatoken; the payer holds ${balance} units`, { details: { ...details, balance: String(balance) } });

  const expected = computeOrderId({ chainId: client.chainId, datatoken: record.datatoken, payer, nonce });
  const receipt = await sendTx('orderAsset', () => dt.startOrder(consumer, serviceId, provider), params.signal);
  const event = eventArgs(receipt.logs, dt, 'OrderStarted');
  if (event.orderId !== expected) {
    throw new ActionError('ORDER_ID_MISMATCH', 'the order id in OrderStarted differs from the one derived before sending', { details: { ...details, expected, actual: event.orderId, txHash: receipt.hash } });
  }
  return { orderId: expected, txHash: receipt.hash, validUntil: event.validUntil as bigint, datatoken: record.datatoken, serviceId, provider, consumer };
}
