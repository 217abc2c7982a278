/** `cove-provider` (or `tsx provider/src/main.ts`): starts a provider from `COVE_*` environment variables. */
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { installCrashGuard } from './crashGuard.js';
import { providerHelp } from './help.js';
import { startProvider, type RunningProvider } from './start.js';

function die(code: string, message: string): never {
  process.stderr.write(`cove-provider: ${code}: ${message}\n`);
  process.exit(code === 'CONFIG_INVALID' ? 2 : 1);
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(providerHelp());
  process.exit(0);
}
if (args.length > 0) {
  process.stderr.write(`cove-provider: USAGE: unknown argument ${args[0]}: configuration is COVE_* environment variables (cove-provider --help)\n`);
  process.exit(2);
}

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) die(err.code, err.message);
  throw err;
}
const logger = pino({ level: config.logLevel });
// No input may take the process down: what escapes every handler is logged, and serving goes on.
installCrashGuard({ logger });
// Signals are handled from here on, before anything is started or printed: a stop that arrives
// while starting waits for the start and then closes (a supervisor reading the `listening` line
// may signal at once); a second signal while still starting exits at once, one while closing is ignored.
let provider: RunningProvider | undefined;
let stopRequested = false;
let closing = false;
const stop = (): void => {
  if (closing || provider === undefined) return;
  closing = true;
  void provider.close().then(() => process.exit(0));
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopRequested && provider === undefined) process.exit(1);
    stopRequested = true;
    stop();
  });
}
try {
  provider = await startProvider(config, { logger });
} catch (err) {
  // One clear line (the RPC is unreachable, the account has no funds, the port is taken…).
  const e = err as { code?: unknown; shortMessage?: string; message?: string };
  die(typeof e.code === 'string' ? e.code : 'START_FAILED', e.shortMessage ?? e.message ?? String(err));
}
process.stdout.write(JSON.stringify({ event: 'listening', url: provider.url, address: provider.address, ipfs: provider.ipfsAddresses }) + '\n');
if (stopRequested) stop();
