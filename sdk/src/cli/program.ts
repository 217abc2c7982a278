import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { defaultHome, type GlobalOptions } from './context.js';
import { flushResult, printError } from './output.js';
import type { Run } from './run.js';
import { registerAssets } from './commands/assets.js';
import { registerAlgorithm } from './commands/algorithm.js';
import { registerAudit } from './commands/audit.js';
import { registerCompletion } from './commands/completion.js';
import { registerCompute } from './commands/compute.js';
import { registerDevnet } from './commands/devnet.js';
import { registerKeys } from './commands/keys.js';
import { registerNetwork } from './commands/network.js';
import { registerPublish } from './commands/publish.js';
import { registerUpdate } from './commands/update.js';
import { registerReview } from './commands/review.js';

/** The version of `@cove/sdk`, which `cove --version` prints. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The `cove` program with every command registered, not yet parsed. Usage errors throw
 * `CommanderError` (see `exitOverride`); main.ts turns them into exit 2.
 * @example
 * const program = createProgram();
 * await program.parseAsync(['node', 'cove', 'assets']);
 */
export function createProgram(): Command {
  const program = new Command('cove')
    .description('Cove: trade the use of data without moving it')
    .version(VERSION, '-V, --version', 'print the version of cove')
    .option('--json', 'print results as JSON (for scripts): one document on stdout, also on failure', false)
    .option('--get <field>', 'print only this field of the result (dotted path), for scripts')
    .option('--debug', 'print stack traces on errors', false)
    .option('--home <dir>', 'your keys, IPFS node and network file', defaultHome())
    .option('--network <file>', 'network file (default <home>/network.json)')
    .option('--rpc <url>', 'JSON-RPC URL (overrides the network file)')
    .option('--wei', 'amounts in raw integers (wei, token base units) instead of token units (0.01)', false)
    .showHelpAfterError()
    .exitOverride()
    .addHelpText('after', '\nExamples:\n  cove init ./network.json\n  cove assets\n  cove --json audit 0x…\n  cove publish data.csv --name "Sales 2024" --price 0.01 --allow-algorithm train.spec.json\n\nExit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted (a job keeps running).');

  const run: Run =
    (fn) =>
    async (...args) => {
      const opts = program.opts<GlobalOptions>();
      try {
        await fn(opts, ...args);
        flushResult();
      } catch (err) {
        process.exitCode = printError(opts, err);
      }
    };

  registerNetwork(program, run);
  registerKeys(program, run);
  registerPublish(program, run);
  registerUpdate(program, run);
  registerAssets(program, run);
  registerCompute(program, run);
  registerAlgorithm(program, run);
  registerAudit(program, run);
  registerReview(program, run);
  registerDevnet(program, run);
  registerCompletion(program);
  return program;
}

/** Every command a user can run, subcommands included (`keys new`), with its full name. */
export function allCommands(program: Command): { name: string; command: Command }[] {
  const walk = (cmd: Command, prefix: string): { name: string; command: Command }[] =>
    cmd.commands.flatMap((c) => {
      const name = `${prefix}${c.name()}`;
      return c.commands.length > 0 ? [{ name, command: c }, ...walk(c, `${name} `)] : [{ name, command: c }];
    });
  return walk(program, '');
}
