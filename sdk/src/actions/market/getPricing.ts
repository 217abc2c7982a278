import type { CoveClientBase } from '../../client/base.js';
import { ActionError, asAction } from '../errors.js';
import { findPublishedEvent } from '../assets/chain.js';

export type GetPricingParameters = {
  assetId: bigint;
  /** An exchange offer other than the one created at publish. */
  offerId?: bigint;
  /** Datatoken units to quote (default one order, 1e18). */
  amount?: bigint;
};

export type GetPricingReturnType =
  | { type: 'fixedRate'; datatoken: string; offerId: bigint; baseToken: string; native: boolean; rate: bigint; feeBps: number; active: boolean; available: bigint; price: bigint; fee: bigint; amount: bigint }
  | { type: 'dispenser'; datatoken: string; active: boolean; maxPerAddress: bigint; maxTotal: bigint; available: bigint; amount: bigint }
  | { type: 'none'; datatoken: string };

/**
 * How an asset's datatokens are sold now: its exchange offer (rate, fee, deposit left and a
 * quote for `amount`) or dispenser entry, found through its `AssetPublished` event and the
 * pricing contracts' views.
 *
 * @example
 * const pricing = await getPricing(client, { assetId });
 * if (pricing.type === 'fixedRate') console.log(pricing.price + pricing.fee);
 */
export async function getPricing(client: CoveClientBase, params: GetPricingParameters): Promise<GetPricingReturnType> {
  const amount = params.amount ?? 10n ** 18n;
  const event = await findPublishedEvent(client, params.assetId);
  const offerId = params.offerId ?? (event.pricing === 'fixedRate' ? event.pricingId : undefined);
  if (offerId !== undefined) {
    const exchange = client.contracts.fixedRateExchange;
    const offer = await asAction('getPricing', () => exchange.getOffer(offerId));
    if ((offer.datatoken as string).toLowerCase() !== event.datatoken.toLowerCase()) {
      throw new ActionError('NOT_FOR_SALE', `offer ${offerId} does not sell asset ${params.assetId}`, { details: { offerId: String(offerId) } });
    }
    const [price, fee] = await asAction('getPricing', () => exchange.quote(offerId, amount) as Promise<[bigint, bigint]>);
    const baseToken = offer.baseToken as string;
    return {
      type: 'fixedRate', datatoken: event.datatoken, offerId, baseToken, native: BigInt(baseToken) === 0n, rate: offer.rate as bigint,
      feeBps: Number(offer.feeBps), active: offer.active as boolean, available: offer.deposit as bigint, price, fee, amount,
    };
  }
  if (event.pricing === 'dispenser') {
    const entry = await asAction('getPricing', () => client.contracts.dispenser.getEntry(event.datatoken));
    return {
      type: 'dispenser', datatoken: event.datatoken, active: entry.active as boolean, maxPerAddress: entry.maxPerAddress as bigint,
      maxTotal: entry.maxTotal as bigint, available: entry.balance as bigint, amount,
    };
  }
  return { type: 'none', datatoken: event.datatoken };
}
