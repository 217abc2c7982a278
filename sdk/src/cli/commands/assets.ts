import type { Command } from 'commander';
import { formatEther } from 'ethers';
import { getAsset } from '../../actions/assets/getAsset.js';
import { listAssets } from '../../actions/assets/listAssets.js';
import { buyDatatokens } from '../../actions/market/buyDatatokens.js';
import { ORDER_AMOUNT } from '../../contracts/index.js';
import { withSession } from '../context.js';
import { printResult } from '../output.js';
import { parseAmount, parseAssetId } from '../options.js';
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
            printResult(opts, asset, () => [
              `asset            ${assetId} (${asset.document.kind})`,
              `name             ${asset.document.name}`,
              `description      ${asset.document.description}`,
              `document         ipfs://${asset.documentCid}`,
              `datatoken        ${asset.datatoken}`,
              `provider         ${asset.document.provider.url} (${asset.document.provider.address})`,
              `services         ${asset.document.services.map((s) => `${s.id}:${s.type}`).join(', ')}`,
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
        });
      }),
    );

  program
    .command('buy <assetId>')
    .description('buy datatokens of an asset (one datatoken = one order)')
    .option('--amount <tokens>', 'how many datatokens', '1')
    .option('--max-pay <amount>', 'the most to pay in total (price + fee)')
    .addHelpText('after', '\nExample:\n  cove buy 1 --amount 2 --max-pay 0.05')
    .action(
      run(async (opts, assetId: string, o: { amount: string; maxPay?: string }) => {
        const params = {
          assetId: parseAssetId(assetId),
          amount: parseAmount(o.amount, 'amount'),
          ...(o.maxPay === undefined ? {} : { maxPay: parseAmount(o.maxPay, 'max-pay') }),
        };
        await withSession(opts, async ({ cove }) => {
          const result = await buyDatatokens(cove, params);
          printResult(opts, result, () => [
            `bought           ${formatEther(result.amount)} datatoken(s) = ${result.amount / ORDER_AMOUNT} order(s), via ${result.via}`,
            `paid             ${formatEther(result.cost)}`,
            `transaction      ${result.txHash}`,
          ]);
        });
      }),
    );
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
