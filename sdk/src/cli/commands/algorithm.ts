import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { prepareAlgorithm, type AlgorithmInput } from '../../algorithm/prepare.js';
import { algorithmHash, canonicalAlgorithmSpec, parseAlgorithmSpec, type AlgorithmSpec } from '../../algorithm/spec.js';
import type { AssetDocumentInput } from '../../asset/schema.js';
import { connectProvider } from '../../provider-api/connect.js';
import { withSession, type GlobalOptions } from '../context.js';
import { printResult } from '../output.js';
import { requireInput, usage } from '../options.js';
import type { Run } from '../run.js';

/** The options that describe an algorithm's container spec, shared by `compute` and `hash-algorithm`. */
export type AlgorithmOptions = { image: string; command?: string; entrypoint?: string; workdir?: string; env: string[]; user?: string };

/** Collects a repeatable option without splitting on commas (an env value may hold one). */
const repeat = (value: string, previous: string[] = []) => [...previous, value];

/** Adds the spec options to a command. */
export function algorithmSpecOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--image <id>', 'image ID (sha256:…), or a reference the provider lists')
    .option('--command <args>', 'container command: a JSON array, or comma-separated (default from the file type for one .py/.js file)')
    .option('--entrypoint <args>', 'container entrypoint: a JSON array, or comma-separated (default none)')
    .option('--workdir <dir>', 'working directory: /tmp (default), /data/outputs or /data/transformations/algorithm[/…]')
    .option('--env <NAME=value>', 'environment variable; repeatable', repeat, [])
    .option('--user <uid:gid>', 'user the job runs as (default 1000:1000; never root)');
}

function argList(text: string, name: string): string[] {
  if (!text.trim().startsWith('[')) return text.split(',').map((a) => a.trim());
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw usage(`--${name} is not a JSON array`);
  }
  if (!Array.isArray(v) || !v.every((a) => typeof a === 'string')) throw usage(`--${name} must be a JSON array of strings`);
  return v;
}

/** The SDK's algorithm input from the CLI options. */
export function algorithmInput(path: string, o: AlgorithmOptions): AlgorithmInput {
  return {
    image: o.image,
    file: path,
    ...(o.command !== undefined && { command: argList(o.command, 'command') }),
    ...(o.entrypoint !== undefined && { entrypoint: argList(o.entrypoint, 'entrypoint') }),
    ...(o.workdir !== undefined && { workingDir: o.workdir }),
    ...(o.env.length > 0 && { env: o.env }),
    ...(o.user !== undefined && { user: o.user }),
  };
}

type ApprovedAlgorithm = NonNullable<NonNullable<AssetDocumentInput['computePolicy']>['allowedAlgorithms']>[number];

/**
 * Reads an algorithm spec file: the canonical bytes `cove hash-algorithm --out` writes
 * (`kind` and `version` included), or a bare spec (as an asset document carries it).
 */
export function readSpecFile(path: string, option: string): AlgorithmSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw usage(`${option}: cannot read "${path}" (give a spec file from cove hash-algorithm --out${option === '--allow-algorithm' ? ', or an algorithm hash 0x…' : ''})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw usage(`${path} is not JSON (expected a spec file from cove hash-algorithm --out)`);
  }
  try {
    return parseAlgorithmSpec(json);
  } catch (err) {
    throw usage(`${path}: ${(err as Error).message}`);
  }
}

/** `--allow-algorithm` values: a hash (0x…) or a spec file written by `cove hash-algorithm --out`. */
export function approvedAlgorithms(values: string[]): ApprovedAlgorithm[] {
  return values.map((v) => {
    if (/^0x[0-9a-fA-F]{64}$/.test(v)) return { hash: v.toLowerCase() };
    const spec = readSpecFile(v, '--allow-algorithm');
    return { hash: algorithmHash(spec), spec };
  });
}

export function registerAlgorithm(program: Command, run: Run): void {
  algorithmSpecOptions(
    program
      .command('hash-algorithm <path>')
      .description('print the algorithm hash an owner approves: the whole container spec (image, code bundle, command, entrypoint, working dir, env, user)')
      .option('--provider <url>', 'provider that resolves an image reference (default: the network file\'s, when --image is not an ID)')
      .option('--out <file>', 'write the canonical spec (its sha256 is the hash) for `cove publish --allow-algorithm <file>`'),
  )
    .addHelpText('after', '\nExample:\n  cove hash-algorithm ./train --image sha256:… --command \'["python3","/data/transformations/algorithm/main.py"]\' --out train.spec.json')
    .action(
      run(async (opts: GlobalOptions, path: string, o: AlgorithmOptions & { provider?: string; out?: string }) => {
        requireInput(path, 'the algorithm');
        const input = algorithmInput(path, o);
        const prepared = /^sha256:[0-9a-f]{64}$/i.test(o.image)
          ? await prepareAlgorithm(undefined, input)
          : await withSession(opts, async ({ cove, network }) => {
              const url = o.provider ?? network.providerUrl;
              if (url === undefined) throw usage('--image is a reference: give --provider <url> to resolve it, or an image ID');
              const { info } = await connectProvider({ url, chainId: cove.chainId });
              return prepareAlgorithm(undefined, input, { info });
            });
        const canonical = canonicalAlgorithmSpec(prepared.spec);
        if (o.out !== undefined) writeFileSync(o.out, canonical);
        const result = { algorithmHash: prepared.algorithmHash, spec: prepared.spec, files: prepared.files, canonical };
        printResult(opts, result, () => [
          `algorithm hash   ${prepared.algorithmHash}`,
          `image            ${prepared.spec.image}`,
          `code hash        ${prepared.spec.codeHash} (${prepared.files.length} file(s))`,
          `entrypoint       ${JSON.stringify(prepared.spec.entrypoint)}`,
          `command          ${JSON.stringify(prepared.spec.command)}`,
          `working dir      ${prepared.spec.workingDir}`,
          `env              ${JSON.stringify(prepared.spec.env)}`,
          `user             ${prepared.spec.user}`,
          ...(o.out !== undefined ? [`spec written     ${o.out} (sha256sum of it is the hash)`] : []),
        ]);
      }),
    );
}
