import { requireSigner, type CoveClientBase } from '../../client/base.js';
import { getMockErc20 } from '../../contracts/index.js';
import { ActionError, asAction } from '../errors.js';
import { sendTx } from '../assets/chain.js';
import { getPricing } from './getPricing.js';

export type BuyDatatokensParameters = {
  assetId: bigint;
  /** Datatoken units (1e18 = one order). */
  amount: bigint;
  /** Most the buyer pays, price + fee in base-token units; default the quoted cost (no slippage). */
  maxPay?: bigint;
  /** An exchange offer other than the one created at publish. */
  offerId?: bigint;
  signal?: AbortSignal;
};

export type BuyDatatokensReturnType = {
  via: 'fixedRate' | 'dispenser';
  datatoken: string;
  amount: bigint;
  /** What was paid (price + fee); 0 from a dispenser. */
  cost: bigint;
  txHash: string;
  /** Set when an ERC-20 allowance had to be raised first. */
  approveTxHash?: string;
};

/**
 * Gets datatokens for an asset: buys from its fixed-rate offer (ERC-20 or native coin)
 * with a slippage guard, approving the base token first when the allowance is short, or
 * takes them from its dispenser. Balance, deposit and caps are checked before sending.
 *
 * Errors: `NOT_FOR_SALE`, `PRICING_INACTIVE`, `INSUFFICIENT_BALANCE`, `INSUFFICIENT_SUPPLY`,
 * `SLIPPAGE_EXCEEDED`, `DISPENSER_CAP_EXCEEDED`, `ASSET_NOT_FOUND`.
 *
 * @example
 * const { cost } = await buyDatatokens(client, { assetId, amount: 10n ** 18n, maxPay: 6_000_000n });
 */
export async function buyDatatokens(client: CoveClientBase, params: BuyDatatokensParameters): Promise<BuyDatatokensReturnType> {
  const signer = requireSigner(client);
  const buyer = await signer.getAddress();
  if (params.amount <= 0n) throw new ActionError('INVALID_PARAMS', 'amount must be positive');
  const pricing = await getPricing(client, { assetId: params.assetId, amount: params.amount, ...(params.offerId !== undefined ? { offerId: params.offerId } : {}) });
  const details = { assetId: String(params.assetId), amount: String(params.amount) };
  if (pricing.type === 'none') throw new ActionError('NOT_FOR_SALE', `asset ${params.assetId} has no exchange offer or dispenser`, { details });
  if (!pricing.active) throw new ActionError('PRICING_INACTIVE', `asset ${params.assetId}'s ${pricing.type} is paused`, { details });
  if (pricing.available < params.amount) {
    throw new ActionError('INSUFFICIENT_SUPPLY', `only ${pricing.available} units left for sale`, { details: { ...details, available: String(pricing.available) } });
  }

  if (pricing.type === 'dispenser') {
    const receipt = await sendTx('buyDatatokens', () => client.contracts.dispenser.dispense(pricing.datatoken, params.amount), params.signal);
    return { via: 'dispenser', datatoken: pricing.datatoken, amount: params.amount, cost: 0n, txHash: receipt.hash };
  }

  const cost = pricing.price + pricing.fee;
  const maxPay = params.maxPay ?? cost;
  if (cost > maxPay) throw new ActionError('SLIPPAGE_EXCEEDED', `cost ${cost} exceeds maxPay ${maxPay}`, { details: { ...details, cost: String(cost), maxPay: String(maxPay) } });
  const exchange = client.contracts.fixedRateExchange;
  let approveTxHash: string | undefined;
  if (pricing.native) {
    const balance = await asAction('buyDatatokens', () => client.provider.getBalance(buyer));
    if (balance < maxPay) throw new ActionError('INSUFFICIENT_BALANCE', `native balance ${balance} is below ${maxPay}`, { details: { ...details, balance: String(balance), needed: String(maxPay) } });
  } else {
    // Any ERC-20: the MockERC20 ABI's balanceOf/allowance/approve are the standard ones.
    const token = getMockErc20(pricing.baseToken, signer);
    const balance = await asAction('buyDatatokens', () => token.balanceOf(buyer) as Promise<bigint>);
    if (balance < cost) throw new ActionError('INSUFFICIENT_BALANCE', `base token balance ${balance} is below the cost ${cost}`, { details: { ...details, token: pricing.baseToken, balance: String(balance), cost: String(cost) } });
    const allowance = await asAction('buyDatatokens', () => token.allowance(buyer, exchange.target) as Promise<bigint>);
    if (allowance < maxPay) {
      approveTxHash = (await sendTx('buyDatatokens: approve', () => token.approve(exchange.target, maxPay), params.signal)).hash;
    }
  }
  // Native offers take maxPay as value; the exchange refunds what the cost did not use.
  const receipt = await sendTx(
    'buyDatatokens',
    () => exchange.buy(pricing.offerId, params.amount, maxPay, { value: pricing.native ? maxPay : 0n }),
    params.signal,
  );
  const bought = receipt.logs.map((l) => exchange.interface.parseLog(l)).find((e) => e?.name === 'Bought');
  const paid = bought ? (bought.args.price as bigint) + (bought.args.fee as bigint) : cost;
  return { via: 'fixedRate', datatoken: pricing.datatoken, amount: params.amount, cost: paid, txHash: receipt.hash, ...(approveTxHash ? { approveTxHash } : {}) };
}
