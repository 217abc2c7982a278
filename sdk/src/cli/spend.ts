/**
 * What a command will spend, shown before it spends it (price, fee, gas estimate), and the
 * confirmation: asked on a terminal, `--yes` to skip, and refused without `--yes` when
 * there is no terminal to ask (`CONFIRMATION_REQUIRED`, exit 2, nothing spent).
 */
import { createInterface } from 'node:readline/promises';
import { getAddress } from 'ethers';
import { requireSigner, type CoveClientBase } from '../client/base.js';
import { getDatatoken, getMockErc20, ORDER_AMOUNT } from '../contracts/index.js';
import { getPricing, type GetPricingReturnType } from '../actions/market/getPricing.js';
import { buyDatatokens } from '../actions/market/buyDatatokens.js';
import { CoveError } from '../errors.js';
import { DATATOKEN_UNIT, formatAmount, NATIVE_UNIT, tokenUnit, type TokenUnit } from './units.js';

/** A gas estimate at the current fee (the most a EIP-1559 transaction may pay per gas), or why there is none. */
export type GasEstimate = { gas: bigint; gasPrice: bigint; cost: bigint } | { error: string };

/** Estimates one transaction's gas and prices it at the chain's current fee. */
export async function estimateGas(client: CoveClientBase, estimate: () => Promise<bigint>): Promise<GasEstimate> {
  try {
    const [gas, fees] = await Promise.all([estimate(), client.provider.getFeeData()]);
    const gasPrice = fees.maxFeePerGas ?? fees.gasPrice ?? 0n;
    return { gas, gasPrice, cost: gas * gasPrice };
  } catch (err) {
    const e = err as { shortMessage?: string; message?: string };
    return { error: e.shortMessage ?? e.message ?? String(err) };
  }
}

/** The sum of estimates, or the first reason one is missing. */
export function sumGas(estimates: GasEstimate[]): GasEstimate {
  const missing = estimates.find((e) => 'error' in e);
  if (missing !== undefined) return missing;
  const known = estimates as { gas: bigint; gasPrice: bigint; cost: bigint }[];
  return { gas: known.reduce((s, e) => s + e.gas, 0n), gasPrice: known[0]?.gasPrice ?? 0n, cost: known.reduce((s, e) => s + e.cost, 0n) };
}

export function gasLine(gas: GasEstimate, wei: boolean): string {
  if ('error' in gas) return `gas              not estimated (${gas.error})`;
  return `gas              ~${formatAmount(gas.cost, NATIVE_UNIT, wei)} at most (${gas.gas} gas at ${formatAmount(gas.gasPrice, NATIVE_UNIT, true)}/gas)`;
}

/** What buying `amount` datatokens of an asset costs, before anything is sent. */
export type BuyQuote = {
  assetId: bigint;
  via: 'fixedRate' | 'dispenser';
  amount: bigint;
  unit: TokenUnit;
  price: bigint;
  fee: bigint;
  total: bigint;
  gas: GasEstimate;
};

/**
 * Quotes a buy: the offer's price and fee for `amount` (in its base token's unit) or the
 * dispenser's zero, with the gas of the transaction. `NOT_FOR_SALE` when there is neither.
 */
export async function quoteBuy(client: CoveClientBase, params: { assetId: bigint; amount: bigint; maxPay?: bigint }): Promise<BuyQuote> {
  const signer = requireSigner(client);
  const pricing: GetPricingReturnType = await getPricing(client, { assetId: params.assetId, amount: params.amount });
  if (pricing.type === 'none') throw new CoveError('NOT_FOR_SALE', `asset ${params.assetId} has no exchange offer or dispenser`);
  if (pricing.type === 'dispenser') {
    const gas = await estimateGas(client, () => client.contracts.dispenser.dispense.estimateGas(pricing.datatoken, params.amount));
    return { assetId: params.assetId, via: 'dispenser', amount: params.amount, unit: NATIVE_UNIT, price: 0n, fee: 0n, total: 0n, gas };
  }
  const unit = await tokenUnit(client.provider, pricing.baseToken);
  const total = pricing.price + pricing.fee;
  const maxPay = params.maxPay ?? total;
  const exchange = client.contracts.fixedRateExchange;
  const buy = () => exchange.buy.estimateGas(pricing.offerId, params.amount, maxPay, { value: pricing.native ? maxPay : 0n });
  let gas: GasEstimate;
  if (pricing.native) gas = await estimateGas(client, buy);
  else {
    // An allowance short of the cost means an approval first; the buy cannot be estimated before it.
    const token = getMockErc20(pricing.baseToken, signer);
    const allowance = (await token.allowance(await signer.getAddress(), exchange.target)) as bigint;
    gas = allowance >= maxPay ? await estimateGas(client, buy) : sumGas([await estimateGas(client, () => token.approve.estimateGas(exchange.target, maxPay)), { error: 'the buy follows an approval of the token, and is estimated only after it' }]);
  }
  return { assetId: params.assetId, via: 'fixedRate', amount: params.amount, unit, price: pricing.price, fee: pricing.fee, total, gas };
}

export function quoteLines(q: BuyQuote, wei: boolean): string[] {
  return [
    `buy              ${formatAmount(q.amount, DATATOKEN_UNIT, wei)} of asset ${q.assetId} (${q.amount / ORDER_AMOUNT} order(s)), ${q.via === 'dispenser' ? 'free from its dispenser' : 'from its fixed-rate offer'}`,
    ...(q.via === 'fixedRate' ? [`price            ${formatAmount(q.price, q.unit, wei)}`, `fee              ${formatAmount(q.fee, q.unit, wei)}`, `total            ${formatAmount(q.total, q.unit, wei)}`] : []),
    gasLine(q.gas, wei),
  ];
}

/** An asset's order as a command will place it: the datatoken it spends, and whether it comes from the dispenser first. */
export type OrderPlan = { assetId: bigint; serviceId: number; held: bigint; dispense?: BuyQuote; gas: GasEstimate };

/**
 * Plans one order of `assetId`: the buyer spends one datatoken they hold, or, holding none of
 * a free asset, takes one from its dispenser first. Holding none of a priced asset is
 * `INSUFFICIENT_BALANCE` with the `cove buy` to run, before anything is sent.
 */
export async function planOrder(client: CoveClientBase, params: { assetId: bigint; serviceId: number; provider: string }): Promise<OrderPlan> {
  const signer = requireSigner(client);
  const me = getAddress(await signer.getAddress());
  const { datatoken } = await getPricing(client, { assetId: params.assetId });
  const dt = getDatatoken(datatoken, signer);
  const held = (await dt.balanceOf(me)) as bigint;
  if (held >= ORDER_AMOUNT) {
    const gas = await estimateGas(client, () => dt.startOrder.estimateGas(me, params.serviceId, getAddress(params.provider)));
    return { assetId: params.assetId, serviceId: params.serviceId, held, gas };
  }
  const pricing = await getPricing(client, { assetId: params.assetId, amount: ORDER_AMOUNT });
  if (pricing.type !== 'dispenser') {
    throw new CoveError('INSUFFICIENT_BALANCE', `an order of asset ${params.assetId} spends one datatoken and you hold ${formatAmount(held, DATATOKEN_UNIT, false)}: cove buy ${params.assetId}`, { details: { assetId: String(params.assetId), held: String(held) } });
  }
  const dispense = await quoteBuy(client, { assetId: params.assetId, amount: ORDER_AMOUNT });
  return { assetId: params.assetId, serviceId: params.serviceId, held, dispense, gas: sumGas([dispense.gas, { error: 'the order follows the dispenser transaction, and is estimated only after it' }]) };
}

/** Takes the dispenser's datatoken a plan needs (nothing when the buyer holds one); returns its transaction. */
export async function takeFromDispenser(client: CoveClientBase, plan: OrderPlan): Promise<string | undefined> {
  if (plan.dispense === undefined) return undefined;
  return (await buyDatatokens(client, { assetId: plan.assetId, amount: ORDER_AMOUNT })).txHash;
}

export function planLines(plans: OrderPlan[], wei: boolean): string[] {
  return [
    ...plans.map((p) =>
      p.dispense !== undefined
        ? `order            asset ${p.assetId}: one datatoken, taken free from its dispenser first`
        : `order            asset ${p.assetId}: spends one datatoken of the ${formatAmount(p.held, DATATOKEN_UNIT, wei)} you hold`,
    ),
    gasLine(sumGas(plans.map((p) => p.gas)), wei),
  ];
}

/**
 * Shows `lines` (what will be spent) on stderr and asks to go on. `--yes` goes on without
 * asking; a terminal is asked (`y` goes on, anything else is `CANCELLED`, exit 1, nothing
 * spent); without a terminal and without `--yes`, `CONFIRMATION_REQUIRED` (exit 2).
 */
export async function confirmSpend(opts: { yes?: boolean; json: boolean }, lines: string[]): Promise<void> {
  const terminal = process.stdin.isTTY === true && process.stderr.isTTY === true;
  // With --json the quote goes to stderr only when someone is there to read it (and asked).
  if (!opts.json || (terminal && opts.yes !== true)) for (const line of lines) process.stderr.write(`${line}\n`);
  if (opts.yes === true) return;
  if (!terminal) {
    throw new CoveError('CONFIRMATION_REQUIRED', 'this spends from your account and there is no terminal to ask: pass --yes to go on without asking', { details: { quote: lines } });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
  rl.once('SIGINT', () => rl.close()); // Ctrl-C at the question: nothing spent
  try {
    const answer = await Promise.race([rl.question('Spend this? [y/N] '), closed]);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CoveError('CANCELLED', 'nothing spent');
  } finally {
    rl.close();
  }
}
