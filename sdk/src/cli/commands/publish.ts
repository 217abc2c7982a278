import { basename } from 'node:path';
import type { Command } from 'commander';
import { ZeroAddress } from 'ethers';
import { publishAsset } from '../../actions/assets/publishAsset.js';
import type { PricingInput } from '../../actions/assets/publishCore.js';
import type { AssetDocumentInput } from '../../asset/schema.js';
import { createProgress } from '../progress.js';
import type { Run } from '../run.js';
import { withSession, type GlobalOptions } from '../context.js';
import { printResult } from '../output.js';
import { approvedAlgorithms } from './algorithm.js';
import { collect, parseAmount, parseBytes, parseJsonOption, parsePositiveInt, requireInput, usage } from '../options.js';

type ComputePolicy = NonNullable<AssetDocumentInput['computePolicy']>;

type PublishOptions = {
  name: string;
  description?: string;
  tags: string[];
  license?: string;
  contentType: string;
  provider?: string;
  price?: string;
  token?: string;
  free?: string;
  supply: string;
  allowImage: string[];
  allowAlgorithm: string[];
  allowAnyAlgorithm?: boolean;
  outputPolicy?: string;
  allowUnsafeFormats?: boolean;
  requireGvisor?: boolean;
  access?: boolean;
  timeout: string;
  memory: string;
  cpus: string;
};

/**
 * Defaults a cautious owner would choose: models and metrics out, no raw tables, short
 * logs. Model formats are data only: no pickles (`*.pkl`, `*.joblib`, torch `*.pt`), whose
 * loading runs code on the buyer's machine; the runner also refuses them by content, whatever
 * their names, unless the policy says `allowUnsafeFormats` (`--allow-unsafe-formats`).
 */
export const DEFAULT_OUTPUT_POLICY: ComputePolicy['outputPolicy'] = {
  maxBytes: 64 * 1024 * 1024,
  allowedPatterns: ['*.json', '*.onnx', '*.safetensors', '*.txt'],
  logs: 'tail:50',
  leakGuard: { enabled: true, minRunBytes: 64 },
};

/**
 * What may run, from `--allow-algorithm` or `--allow-any-algorithm` with `--allow-image`
 * (exactly one of the two ways); `undefined` when none of them is given.
 */
export function computeAllowance(o: { allowAlgorithm: string[]; allowAnyAlgorithm?: boolean; allowImage: string[] }, required = true): Pick<ComputePolicy, 'allowedAlgorithms' | 'allowAnyAlgorithm' | 'allowedImages'> {
  if (o.allowAnyAlgorithm === true) {
    if (o.allowAlgorithm.length > 0) throw usage('--allow-algorithm and --allow-any-algorithm exclude each other');
    if (o.allowImage.length === 0) throw usage('--allow-any-algorithm needs at least one --allow-image <sha256:…>');
    return { allowAnyAlgorithm: true, allowedImages: o.allowImage };
  }
  if (o.allowImage.length > 0) throw usage('--allow-image goes with --allow-any-algorithm (an approved algorithm names its image)');
  if (o.allowAlgorithm.length === 0) {
    if (required) throw usage('give --allow-algorithm <hash|spec> (see cove hash-algorithm) or --allow-any-algorithm');
    return {};
  }
  return { allowedAlgorithms: approvedAlgorithms(o.allowAlgorithm) };
}

export function registerPublish(program: Command, run: Run): void {
  program
    .command('publish <file>')
    .description('encrypt a dataset, store it on IPFS and tokenize it on-chain in one transaction')
    .requiredOption('--name <name>', 'asset name')
    .option('--description <text>', 'what the data is')
    .option('--tags <tags>', 'comma-separated tags', collect, [])
    .option('--license <spdx>', 'licence (SPDX id or URL)')
    .option('--content-type <mime>', 'MIME type of the file', 'text/csv')
    .option('--provider <url>', 'provider that serves it (default: the network file\'s)')
    .option('--price <amount>', 'price of one order, in the native coin (or --token units)')
    .option('--token <address>', 'ERC-20 to price in (default: the native coin)')
    .option('--free <perAddress>', 'give orders away: at most this many per address')
    .option('--supply <tokens>', 'datatokens minted (orders available)', '100')
    .option('--allow-algorithm <hash|spec>', 'an approved algorithm: its hash (0x…) or a spec file from `cove hash-algorithm --out`; repeatable', collect, [])
    .option('--allow-any-algorithm', 'allow ANY code, command and environment on the --allow-image images (every audit says so)')
    .option('--allow-image <id>', 'with --allow-any-algorithm: image ID (sha256:…) any algorithm may run in; repeatable', collect, [])
    .option('--output-policy <json|file>', 'output policy (maxBytes, maxReleaseBytes, allowedPatterns, logs, leakGuard, review, allowUnsafeFormats)')
    .option('--allow-unsafe-formats', "let jobs release pickles and other formats whose loading runs code on the buyer's machine (refused by content otherwise)")
    .option('--require-gvisor', 'jobs on this data run under gVisor (runsc) only: providers without it refuse them, audits check the receipt')
    .option('--access', 'also offer plain download (access service) to buyers')
    .option('--timeout <seconds>', 'longest a job may run', '600')
    .option('--memory <size>', 'memory per job', '1GiB')
    .option('--cpus <n>', 'CPU cores per job', '1')
    .addHelpText('after', '\nExamples:\n  cove publish data.csv --name "Sales 2024" --price 0.01 --allow-algorithm train.spec.json\n  cove publish data.csv --name "Open sample" --free 1 --access --allow-any-algorithm --allow-image sha256:…')
    .action(
      run(async (opts: GlobalOptions, file: string, o: PublishOptions) => {
        requireInput(file, 'the file to publish');
        const allowed = computeAllowance(o);
        if (o.price !== undefined && o.free !== undefined) throw usage('--price and --free exclude each other');
        const outputPolicy = {
          ...(o.outputPolicy === undefined ? DEFAULT_OUTPUT_POLICY : (parseJsonOption(o.outputPolicy, 'output-policy') as ComputePolicy['outputPolicy'])),
          ...(o.allowUnsafeFormats === true && { allowUnsafeFormats: true }),
        };
        const memoryBytes = parseBytes(o.memory, 'memory');
        const timeoutSeconds = parsePositiveInt(o.timeout, 'timeout');
        const computePolicy: ComputePolicy = {
          ...allowed,
          ...(o.requireGvisor === true && { requireRuntime: 'runsc' as const }),
          limits: { cpus: Number(o.cpus), memoryBytes, timeoutSeconds, pidsLimit: 256, outputBytes: outputPolicy.maxBytes },
          outputPolicy,
        };
        const pricing: PricingInput =
          o.price !== undefined
            ? { type: 'fixed', baseToken: o.token ?? ZeroAddress, rate: parseAmount(o.price, 'price') }
            : o.free !== undefined
              ? { type: 'free', maxPerAddress: parseAmount(o.free, 'free') }
              : { type: 'none' };
        const services = [{ type: 'compute' as const, timeoutSeconds: 86_400 }, ...(o.access === true ? [{ type: 'access' as const, timeoutSeconds: 86_400 }] : [])];
        await withSession(opts, async ({ cove, network }) => {
          const providerUrl = o.provider ?? network.providerUrl;
          if (providerUrl === undefined) throw usage('give --provider <url> (the network file names none)');
          const bar = createProgress('publish', { enabled: !opts.json });
          const result = await publishAsset(cove, {
            file,
            contentType: o.contentType,
            name: o.name,
            description: o.description ?? `${basename(file)}, published with Cove`,
            tags: o.tags,
            ...(o.license === undefined ? {} : { license: o.license }),
            provider: { url: providerUrl },
            services,
            computePolicy,
            pricing,
            initialSupply: parseAmount(o.supply, 'supply'),
            onProgress: (p) => (p.plaintextBytes === undefined ? bar.status(p.stage) : bar.update(p.plaintextBytes, undefined, p.stage)),
          });
          bar.done();
          printResult(opts, result, () => [
            `asset            ${result.assetId}`,
            `datatoken        ${result.datatoken}`,
            `document         ipfs://${result.documentCid}`,
            `encrypted data   ipfs://${result.encryptedContentCid}`,
            `content hash     ${result.contentHash}`,
            `transaction      ${result.txHash}`,
            `pricing          ${pricing.type === 'fixed' ? `${o.price} ${o.token ?? 'native coin'} per order` : pricing.type}`,
          ]);
        });
      }),
    );
}
