import { Command, CommanderError } from 'commander';
import { defaultHome, type GlobalOptions } from './context.js';
import { printError } from './output.js';
import type { Run } from './run.js';
import { registerAssets } from './commands/assets.js';
import { registerAlgorithm } from './commands/algorithm.js';
import { registerAudit } from './commands/audit.js';
import { registerCompute } from './commands/compute.js';
import { registerKeys } from './commands/keys.js';
import { registerPublish } from './commands/publish.js';
import { registerUpdate } from './commands/update.js';
import { registerReview } from './commands/review.js';

const program = new Command('cove')
  .description('Cove: trade the use of data without moving it')
  .option('--json', 'print results as JSON (for scripts)', false)
  .option('--get <field>', 'print only this field of the result (dotted path), for scripts')
  .option('--debug', 'print stack traces on errors', false)
  .option('--home <dir>', 'your keys, IPFS node and network file', defaultHome())
  .option('--network <file>', 'network file (default <home>/network.json)')
  .option('--rpc <url>', 'JSON-RPC URL (overrides the network file)')
  .showHelpAfterError()
  .exitOverride();

const globalOptions = (): GlobalOptions => program.opts<GlobalOptions>();

const run: Run =
  (fn) =>
  async (...args) => {
    const opts = globalOptions();
    try {
      await fn(opts, ...args);
    } catch (err) {
      process.exitCode = printError(opts, err);
    }
  };

registerKeys(program, run);
registerPublish(program, run);
registerUpdate(program, run);
registerAssets(program, run);
registerCompute(program, run);
registerAlgorithm(program, run);
registerAudit(program, run);
registerReview(program, run);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Commander has printed its own message (unknown option, missing argument, --help).
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 2;
  else process.exitCode = printError(globalOptions(), err);
}
