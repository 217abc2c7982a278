import type { Command } from 'commander';
import { getAsset } from '../../actions/assets/getAsset.js';
import { updateAsset, type AssetChanges } from '../../actions/assets/updateAsset.js';
import { withSession } from '../context.js';
import { printResult } from '../output.js';
import { collect, parseAssetId, parseJsonOption, usage } from '../options.js';
import type { Run } from '../run.js';

type ComputePolicy = NonNullable<AssetChanges['computePolicy']>;

type UpdateOptions = {
  name?: string;
  description?: string;
  tags: string[];
  license?: string;
  allowImage: string[];
  allowCode: string[];
  allowAnyAlgorithm?: boolean;
  outputPolicy?: string;
};

export function registerUpdate(program: Command, run: Run): void {
  program
    .command('update <assetId>')
    .description("change an asset's description or compute policy (a new document, anchored on-chain)")
    .option('--name <name>', 'asset name')
    .option('--description <text>', 'what the data is')
    .option('--tags <tags>', 'comma-separated tags (replace the current ones)', collect, [])
    .option('--license <spdx>', 'licence (SPDX id or URL)')
    .option('--allow-image <id>', 'allowed image IDs (replace the current ones); repeatable', collect, [])
    .option('--allow-code <hash>', 'allowed algorithm code hashes (replace the current ones); repeatable', collect, [])
    .option('--allow-any-algorithm', 'allow any algorithm code in the allowed images')
    .option('--output-policy <json|file>', 'output policy (replaces the current one)')
    .action(
      run(async (opts, assetId: string, o: UpdateOptions) => {
        if (o.allowAnyAlgorithm === true && o.allowCode.length > 0) throw usage('--allow-code and --allow-any-algorithm exclude each other');
        const id = parseAssetId(assetId);
        await withSession(opts, async ({ cove }) => {
          const changes: AssetChanges = {
            ...(o.name === undefined ? {} : { name: o.name }),
            ...(o.description === undefined ? {} : { description: o.description }),
            ...(o.tags.length === 0 ? {} : { tags: o.tags }),
            ...(o.license === undefined ? {} : { license: o.license }),
          };
          const policyChanged = o.allowImage.length > 0 || o.allowCode.length > 0 || o.allowAnyAlgorithm === true || o.outputPolicy !== undefined;
          if (policyChanged) {
            const current = (await getAsset(cove, { assetId: id })).document.computePolicy;
            if (current === undefined) throw usage(`asset ${assetId} has no compute policy to change`);
            const { allowedCodeHashes, allowAnyAlgorithm, ...rest } = current;
            const code: Pick<ComputePolicy, 'allowedCodeHashes' | 'allowAnyAlgorithm'> =
              o.allowAnyAlgorithm === true ? { allowAnyAlgorithm: true } : o.allowCode.length > 0 ? { allowedCodeHashes: o.allowCode } : { ...(allowedCodeHashes && { allowedCodeHashes }), ...(allowAnyAlgorithm && { allowAnyAlgorithm }) };
            changes.computePolicy = {
              ...rest,
              ...code,
              ...(o.allowImage.length > 0 ? { allowedImages: o.allowImage } : {}),
              ...(o.outputPolicy === undefined ? {} : { outputPolicy: parseJsonOption(o.outputPolicy, 'output-policy') as ComputePolicy['outputPolicy'] }),
            };
          }
          if (Object.keys(changes).length === 0) throw usage('nothing to change: give at least one option');
          const result = await updateAsset(cove, { assetId: id, changes });
          printResult(opts, result, () => [`asset            ${assetId}`, `document         ipfs://${result.documentCid}`, `transaction      ${result.txHash}`]);
        });
      }),
    );
}
