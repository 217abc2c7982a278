import { CommanderError } from 'commander';
import { CoveError } from '../errors.js';
import type { GlobalOptions } from './context.js';
import { flushResult, printError } from './output.js';
import { createProgram } from './program.js';

// A reader that stops early (`cove assets | head -1`) closes the pipe: stop quietly, exit 0
// (the reader got what it asked for; `set -o pipefail` scripts do not fail on it).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

const program = createProgram();
const opts = (): GlobalOptions => {
  const o = program.opts<GlobalOptions>();
  // A usage error can come before commander has parsed --json: look at the arguments too.
  return { ...o, json: o.json === true || process.argv.includes('--json') };
};

try {
  await program.parseAsync(process.argv);
  flushResult();
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed its own message (unknown option, missing argument) or the help.
    if (err.exitCode === 0) process.exitCode = 0;
    else if (opts().json) process.exitCode = printError(opts(), new CoveError('USAGE', err.code === 'commander.help' ? 'no command given (see cove --help)' : err.message.replace(/^error: /, ''), { details: { reason: err.code } }));
    else process.exitCode = 2;
  } else process.exitCode = printError(opts(), err);
}
