import type { Command } from 'commander';
import { getAsset } from '../../actions/assets/getAsset.js';
import { listAssets } from '../../actions/assets/listAssets.js';
import { buyDatatokens } from '../../actions/market/buyDatatokens.js';
import { getPricing, type GetPricingReturnType } from '../../actions/market/getPricing.js';
import { ORDER_AMOUNT } from '../../contracts/index.js';
import { withSession } from '../context.js';
import { printResult } from '../output.js';
import { parseAssetId, usage } from '../options.js';
import { confirmSpend, quoteBuy, quoteLines } from '../spend.js';
import { DATATOKEN_UNIT, formatAmount, NATIVE_UNIT, parseAmountOption, tokenUnit, type TokenUnit } from '../units.js';
import type { Run } from '../run.js';
import type { AssetDocument } from '../../asset/schema.js';

export function registerAssets(program: Command, run: Run): void {
  program
    .command('assets [assetId]')
    .description('list published assets (documents checked against the chain), or show one')
    .option('--publisher <address>', 'only this publisher\'s')
    .option('--kind <kind>', 'dataset, algorithm or model')
    .addHelpText('after', '\nExamples:\n  cove assets\n  cove assets --kind model\n  cove assets 1')
    .action(
      run(async (opts, assetId: string | undefined, o: { publisher?: string; kind?: 'dataset' | 'algorithm' | 'model' }) => {
        const id = assetId === undefined ? undefined : parseAssetId(assetId);
        await withSession(opts, async ({ cove }) => {
          if (id !== undefined) {
            const asset = await getAsset(cove, { assetId: id });
            const pricing = await getPricing(cove, { assetId: id });
            const unit = pricing.type === 'fixedRate' ? await tokenUnit(cove.provider, pricing.baseToken) : NATIVE_UNIT;
            printResult(opts, { ...asset, pricing }, () => [
              `asset            ${assetId} (${asset.document.kind})`,
              `name             ${asset.document.name}`,
              `description      ${asset.document.description}`,
              `document         ipfs://${asset.documentCid}`,
              `datatoken        ${asset.datatoken}`,
              `provider         ${asset.document.provider.url} (${asset.document.provider.address})`,
              `services         ${asset.document.services.map((s) => `${s.id}:${s.type}`).join(', ')}`,
              `price            ${pricingLine(pricing, unit, opts.wei)}`,
              `algorithms       ${algorithmsLine(asset.document.computePolicy)}`,
              ...(asset.document.computePolicy ? [`unsafe formats   ${unsafeFormatsLine(asset.document.computePolicy)}`] : []),
              ...(asset.document.computePolicy ? [`runtime          ${asset.document.computePolicy.requireRuntime === 'runsc' ? 'gVisor (runsc) required' : "any the provider offers (runc or gVisor)"}`] : []),
            ]);
            return;
          }
          const { assets } = await listAssets(cove, { ...(o.publisher === undefined ? {} : { publisher: o.publisher }), ...(o.kind === undefined ? {} : { kind: o.kind }) });
          printResult(opts, { assets }, () =>
            assets.length === 0
              ? ['no assets']
              : assets.map((a) => `${String(a.assetId).padStart(4)}  ${(a.document?.kind ?? '?').padEnd(9)} ${a.document?.name ?? `(${a.error?.code ?? 'no document'})`}`),
          );
        }, { keys: 'optional' });
      }),
    );

  program
    .command('buy <assetId>')
    .description('buy datatokens of an asset (one datatoken = one order): shows price, fee and gas, then asks')
    .option('--amount <tokens>', 'how many datatokens (default 1; with --wei, base units)')
    .option('--max-pay <amount>', 'the most to pay in total (price + fee), in the price\'s token units')
    .option('-y, --yes', 'buy without asking (needed where there is no terminal to ask)')
    .addHelpText('after', '\nExamples:\n  cove buy 1\n  cove buy 1 --amount 2 --max-pay 0.05 --yes\n  cove --wei buy 1 --amount 1000000000000000000 --yes\n\nWithout a terminal (scripts, CI) it needs --yes: it refuses with CONFIRMATION_REQUIRED (exit 2), nothing spent.')
    .action(
      run(async (opts, assetId: string, o: { amount?: string; maxPay?: string; yes?: boolean }) => {
        const id = parseAssetId(assetId);
        const amount = o.amount === undefined ? ORDER_AMOUNT : parseAmountOption(o.amount, 'amount', DATATOKEN_UNIT, opts.wei);
        if (amount === 0n) throw usage('--amount must be more than 0');
        await withSession(opts, async ({ cove }) => {
          const first = await quoteBuy(cove, { assetId: id, amount });
          const maxPay = o.maxPay === undefined ? undefined : parseAmountOption(o.maxPay, 'max-pay', first.unit, opts.wei);
          const quote = maxPay === undefined ? first : await quoteBuy(cove, { assetId: id, amount, maxPay });
          await confirmSpend({ json: opts.json, ...(o.yes === undefined ? {} : { yes: o.yes }) }, [...quoteLines(quote, opts.wei), ...(maxPay === undefined ? [] : [`max pay          ${formatAmount(maxPay, quote.unit, opts.wei)}`])]);
          const result = await buyDatatokens(cove, { assetId: id, amount, ...(maxPay === undefined ? {} : { maxPay }) });
          printResult(opts, { ...result, token: quote.unit.address, decimals: quote.unit.decimals }, () => [
            `bought           ${formatAmount(result.amount, DATATOKEN_UNIT, opts.wei)} = ${result.amount / ORDER_AMOUNT} order(s), via ${result.via}`,
            `paid             ${formatAmount(result.cost, quote.unit, opts.wei)}`,
            `transaction      ${result.txHash}`,
          ]);
        });
      }),
    );
}

/** How an asset is sold, in one line: price and fee per order in the token's units, or free, or not at all. */
function pricingLine(pricing: GetPricingReturnType, unit: TokenUnit, wei: boolean): string {
  if (pricing.type === 'none') return 'not for sale (no exchange offer or dispenser)';
  const state = pricing.active ? '' : ', PAUSED';
  if (pricing.type === 'dispenser') return `free from its dispenser (at most ${formatAmount(pricing.maxPerAddress, DATATOKEN_UNIT, wei)} per address, ${formatAmount(pricing.available, DATATOKEN_UNIT, wei)} left${state})`;
  return `${formatAmount(pricing.price, unit, wei)} + fee ${formatAmount(pricing.fee, unit, wei)} per order (${formatAmount(pricing.available, DATATOKEN_UNIT, wei)} left${state})`;
}

/** Whether jobs may release pickles and the like, in one line: a buyer must know before loading an output. */
export function unsafeFormatsLine(policy: NonNullable<AssetDocument['computePolicy']>): string {
  return policy.outputPolicy.allowUnsafeFormats === true
    ? "ALLOWED by the owner: outputs may be pickles (loading one runs the job's code on your machine)"
    : 'refused (no pickle, joblib, torch zip or object .npy outputs)';
}

/** What a compute policy lets run, in one line: the approved algorithms, or ANY on which images. */
export function algorithmsLine(policy: AssetDocument['computePolicy']): string {
  if (policy === undefined) return '-';
  if (policy.allowAnyAlgorithm === true) return `ANY algorithm (not reviewed by the owner) on ${(policy.allowedImages ?? []).join(', ')}`;
  return (policy.allowedAlgorithms ?? []).map((a) => `${a.name ?? a.hash.slice(0, 14) + '…'}${a.spec ? ` (${a.spec.image.slice(0, 19)}…, ${JSON.stringify(a.spec.command)})` : ''}`).join('; ');
}
