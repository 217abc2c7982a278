import type { Command } from 'commander';
import { getAsset } from '../../actions/assets/getAsset.js';
import { updateAsset, type AssetChanges } from '../../actions/assets/updateAsset.js';
import { withSession } from '../context.js';
import { printResult } from '../output.js';
import { collect, parseAssetId, parseJsonOption, usage } from '../options.js';
import type { Run } from '../run.js';
import { computeAllowance } from './publish.js';

type ComputePolicy = NonNullable<AssetChanges['computePolicy']>;

type UpdateOptions = {
  name?: string;
  description?: string;
  tags: string[];
  license?: string;
  allowImage: string[];
  allowAlgorithm: string[];
  allowAnyAlgorithm?: boolean;
  outputPolicy?: string;
  /** true: `--allow-unsafe-formats`; false: `--no-allow-unsafe-formats`; undefined: neither. */
  allowUnsafeFormats?: boolean;
  /** true: `--require-gvisor`; false: `--no-require-gvisor`; undefined: neither. */
  requireGvisor?: boolean;
};

export function registerUpdate(program: Command, run: Run): void {
  program
    .command('update <assetId>')
    .description("change an asset's description or compute policy (a new document, anchored on-chain)")
    .option('--name <name>', 'asset name')
    .option('--description <text>', 'what the data is')
    .option('--tags <tags>', 'comma-separated tags (replace the current ones)', collect, [])
    .option('--license <spdx>', 'licence (SPDX id or URL)')
    .option('--allow-algorithm <hash|spec>', 'approved algorithms (replace the current ones): hash or spec file; repeatable', collect, [])
    .option('--allow-any-algorithm', 'allow ANY algorithm on the --allow-image images (replaces the approved list)')
    .option('--allow-image <id>', 'with --allow-any-algorithm: the images; repeatable', collect, [])
    .option('--output-policy <json|file>', 'output policy (replaces the current one)')
    .option('--allow-unsafe-formats', "let jobs release pickles and other formats whose loading runs code on the buyer's machine")
    .option('--no-allow-unsafe-formats', 'refuse them again (the default)')
    .option('--require-gvisor', 'jobs on this data run under gVisor (runsc) only')
    .option('--no-require-gvisor', 'any runtime the provider offers (the default)')
    .addHelpText('after', '\nExamples:\n  cove update 1 --description "Sales 2024, cleaned"\n  cove update 1 --allow-algorithm train.spec.json --require-gvisor')
    .action(
      run(async (opts, assetId: string, o: UpdateOptions) => {
        const allowance = computeAllowance(o, false);
        const id = parseAssetId(assetId);
        await withSession(opts, async ({ cove }) => {
          const changes: AssetChanges = {
            ...(o.name === undefined ? {} : { name: o.name }),
            ...(o.description === undefined ? {} : { description: o.description }),
            ...(o.tags.length === 0 ? {} : { tags: o.tags }),
            ...(o.license === undefined ? {} : { license: o.license }),
          };
          const policyChanged = Object.keys(allowance).length > 0 || o.outputPolicy !== undefined || o.allowUnsafeFormats !== undefined || o.requireGvisor !== undefined;
          if (policyChanged) {
            const current = (await getAsset(cove, { assetId: id })).document.computePolicy;
            if (current === undefined) throw usage(`asset ${assetId} has no compute policy to change`);
            const { allowedAlgorithms, allowAnyAlgorithm, allowedImages, requireRuntime, ...rest } = current;
            const gvisor = o.requireGvisor ?? requireRuntime === 'runsc';
            const kept = { ...(allowedAlgorithms && { allowedAlgorithms }), ...(allowAnyAlgorithm && { allowAnyAlgorithm }), ...(allowedImages && { allowedImages }) };
            const { allowUnsafeFormats: was, ...outputPolicy } = o.outputPolicy === undefined ? rest.outputPolicy : (parseJsonOption(o.outputPolicy, 'output-policy') as ComputePolicy['outputPolicy']);
            const unsafe = o.allowUnsafeFormats ?? was;
            changes.computePolicy = {
              ...rest,
              ...(Object.keys(allowance).length > 0 ? allowance : kept),
              ...(gvisor && { requireRuntime: 'runsc' as const }),
              outputPolicy: { ...outputPolicy, ...(unsafe === true && { allowUnsafeFormats: true }) },
            };
          }
          if (Object.keys(changes).length === 0) throw usage('nothing to change: give at least one option');
          const result = await updateAsset(cove, { assetId: id, changes });
          printResult(opts, result, () => [`asset            ${assetId}`, `document         ipfs://${result.documentCid}`, `transaction      ${result.txHash}`]);
        });
      }),
    );
}
