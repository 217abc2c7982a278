import { statSync } from 'node:fs';
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
import { collect, parseBytes, parseJsonOption, parsePositiveInt, requireInput, usage } from '../options.js';
import { DATATOKEN_UNIT, formatAmount, NATIVE_UNIT, parseAmountOption, tokenUnit } from '../units.js';
import { ORDER_AMOUNT } from '../../contracts/index.js';

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
  supply?: string;
  allowImage: string[];
  allowAlgorithm: string[];
  allowAnyAlgorithm?: boolean;
  outputPolicy?: string;
  allowUnsafeFormats?: boolean;
  requireGvisor?: boolean;
  access?: boolean;
  accessOnly?: boolean;
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

/** The compute policy the options describe (what may run, limits, what may come out). */
function computePolicyOf(o: PublishOptions): ComputePolicy {
  const allowed = computeAllowance(o);
  const outputPolicy = {
    ...(o.outputPolicy === undefined ? DEFAULT_OUTPUT_POLICY : (parseJsonOption(o.outputPolicy, 'output-policy') as ComputePolicy['outputPolicy'])),
    ...(o.allowUnsafeFormats === true && { allowUnsafeFormats: true }),
  };
  const memoryBytes = parseBytes(o.memory, 'memory');
  const timeoutSeconds = parsePositiveInt(o.timeout, 'timeout');
  return {
    ...allowed,
    ...(o.requireGvisor === true && { requireRuntime: 'runsc' as const }),
    limits: { cpus: Number(o.cpus), memoryBytes, timeoutSeconds, pidsLimit: 256, outputBytes: outputPolicy.maxBytes },
    outputPolicy,
  };
}

/** `--access-only`: no compute service, so none of the compute options may be given. */
function accessOnly(o: PublishOptions): undefined {
  const compute = [
    o.allowAlgorithm.length > 0 && '--allow-algorithm',
    o.allowAnyAlgorithm === true && '--allow-any-algorithm',
    o.allowImage.length > 0 && '--allow-image',
    o.outputPolicy !== undefined && '--output-policy',
    o.allowUnsafeFormats === true && '--allow-unsafe-formats',
    o.requireGvisor === true && '--require-gvisor',
    o.access === true && '--access',
  ].filter((x): x is string => typeof x === 'string');
  if (compute.length > 0) throw usage(`--access-only offers no compute service: drop ${compute.join(', ')}`);
  return undefined;
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
    .option('--price <amount>', 'price of one order in token units (0.01) of the native coin or --token; with --wei, base units')
    .option('--token <address>', 'ERC-20 to price in (default: the native coin)')
    .option('--free <perAddress>', 'give orders away from a dispenser: at most this many datatokens per address')
    .option('--supply <tokens>', 'datatokens minted (orders available; default 100)')
    .option('--allow-algorithm <hash|spec>', 'an approved algorithm: its hash (0x…) or a spec file from `cove hash-algorithm --out`; repeatable', collect, [])
    .option('--allow-any-algorithm', 'allow ANY code, command and environment on the --allow-image images (every audit says so)')
    .option('--allow-image <id>', 'with --allow-any-algorithm: image ID (sha256:…) any algorithm may run in; repeatable', collect, [])
    .option('--output-policy <json|file>', 'output policy (maxBytes, maxReleaseBytes, allowedPatterns, logs, leakGuard, review, allowUnsafeFormats)')
    .option('--allow-unsafe-formats', "let jobs release pickles and other formats whose loading runs code on the buyer's machine (refused by content otherwise)")
    .option('--require-gvisor', 'jobs on this data run under gVisor (runsc) only: providers without it refuse them, audits check the receipt')
    .option('--access', 'also offer plain download (access service) to buyers')
    .option('--access-only', 'offer plain download only: no compute service, no compute policy (no --allow-* options)')
    .option('--timeout <seconds>', 'longest a job may run', '600')
    .option('--memory <size>', 'memory per job', '1GiB')
    .option('--cpus <n>', 'CPU cores per job', '1')
    .addHelpText('after', '\nExamples:\n  cove publish data.csv --name "Sales 2024" --price 0.01 --allow-algorithm train.spec.json\n  cove publish data.csv --name "Open sample" --free 1 --access --allow-any-algorithm --allow-image sha256:…\n  cove publish report.pdf --name "Report" --content-type application/pdf --access-only --price 0.5')
    .action(
      run(async (opts: GlobalOptions, file: string, o: PublishOptions) => {
        requireInput(file, 'the file to publish');
        if (o.price !== undefined && o.free !== undefined) throw usage('--price and --free exclude each other');
        const computePolicy = o.accessOnly === true ? accessOnly(o) : computePolicyOf(o);
        const services = [
          ...(o.accessOnly === true ? [] : [{ type: 'compute' as const, timeoutSeconds: 86_400 }]),
          ...(o.access === true || o.accessOnly === true ? [{ type: 'access' as const, timeoutSeconds: 86_400 }] : []),
        ];
        const initialSupply = o.supply === undefined ? 100n * ORDER_AMOUNT : parseAmountOption(o.supply, 'supply', DATATOKEN_UNIT, opts.wei);
        // The native coin's decimals are known now; an ERC-20's are read from it in the session.
        const nativePrice = o.price !== undefined && o.token === undefined ? parseAmountOption(o.price, 'price', NATIVE_UNIT, opts.wei) : undefined;
        await withSession(opts, async ({ cove, network }) => {
          const providerUrl = o.provider ?? network.providerUrl;
          if (providerUrl === undefined) throw usage('give --provider <url> (the network file names none)');
          const unit = o.token === undefined ? NATIVE_UNIT : await tokenUnit(cove.provider, o.token);
          const pricing: PricingInput =
            o.price !== undefined
              ? { type: 'fixed', baseToken: unit.address, rate: nativePrice ?? parseAmountOption(o.price, 'price', unit, opts.wei) }
              : o.free !== undefined
                ? { type: 'free', maxPerAddress: parseAmountOption(o.free, 'free', DATATOKEN_UNIT, opts.wei) }
                : { type: 'none' };
          const bar = createProgress('publish', { enabled: !opts.json });
          const { size } = statSync(file);
          const result = await publishAsset(cove, {
            file,
            contentType: o.contentType,
            name: o.name,
            description: o.description ?? `${basename(file)}, published with Cove`,
            tags: o.tags,
            ...(o.license === undefined ? {} : { license: o.license }),
            provider: { url: providerUrl },
            services,
            ...(computePolicy === undefined ? {} : { computePolicy }),
            pricing,
            initialSupply,
            onProgress: (p) => {
              if (p.pinnedBytes !== undefined) bar.update(p.pinnedBytes, p.pinTotalBytes ?? 0, 'the provider pins it');
              else if (p.plaintextBytes !== undefined) bar.update(p.plaintextBytes, size, 'encrypting');
              else bar.status(p.stage);
            },
          });
          bar.done();
          printResult(opts, result, () => [
            `asset            ${result.assetId}`,
            `datatoken        ${result.datatoken}`,
            `document         ipfs://${result.documentCid}`,
            `encrypted data   ipfs://${result.encryptedContentCid}`,
            `content hash     ${result.contentHash}`,
            `transaction      ${result.txHash}`,
            `services         ${services.map((sv) => sv.type).join(', ')}`,
            `pricing          ${pricing.type === 'fixed' ? `${formatAmount(pricing.rate, unit, opts.wei)} per order` : pricing.type === 'free' ? `free, at most ${formatAmount(pricing.maxPerAddress, DATATOKEN_UNIT, opts.wei)} per address` : 'none'}`,
          ]);
        });
      }),
    );
}
