/** `tsx provider/src/main.ts`: starts a provider from `COVE_*` environment variables. */
import { ConfigError, loadConfig } from './config.js';
import { startProvider } from './start.js';

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(err.message + '\n');
    process.exit(2);
  }
  throw err;
}
const provider = await startProvider(config);
process.stdout.write(JSON.stringify({ event: 'listening', url: provider.url, address: provider.address, ipfs: provider.ipfsAddresses }) + '\n');
let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    void provider.close().then(() => process.exit(0));
  });
}
