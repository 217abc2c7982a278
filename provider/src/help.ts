/** `cove-provider --help`: every `COVE_*` variable of {@link EnvSchema}, with its default and meaning. */
import type { z } from 'zod';
import { EnvSchema } from './config.js';

type Variable = keyof z.input<typeof EnvSchema>;

/** One line per variable; the type makes a variable added to the schema without one here a compile error. */
const MEANING: Record<Variable, string> = {
  COVE_PROVIDER_HOST: 'address the HTTP API listens on',
  COVE_PROVIDER_PORT: 'port of the HTTP API (0: any free port)',
  COVE_PROVIDER_PUBLIC_URL: 'URL registered in ProviderRegistry (default: the listen URL)',
  COVE_PROVIDER_DATA_DIR: 'SQLite database, IPFS repository, job workspaces, key files',
  COVE_PROVIDER_PRIVATE_KEY: '0x-hex EVM key (default: the key file, created on first start)',
  COVE_PROVIDER_KEY_FILE: 'EVM key file (default <data dir>/evm.key)',
  COVE_PROVIDER_X25519_KEY_FILE: 'X25519 key pair file (default <data dir>/x25519.json)',
  COVE_PROVIDER_REGISTER: 'register URL and X25519 key in ProviderRegistry at start',
  COVE_RPC_URL: 'chain JSON-RPC URL',
  COVE_DATA_NFT_ADDRESS: 'DataNFT contract of the deployment',
  COVE_COMPUTE_RECEIPTS_ADDRESS: 'ComputeReceipts contract of the deployment',
  COVE_PROVIDER_REGISTRY_ADDRESS: 'ProviderRegistry contract of the deployment',
  COVE_IPFS_LISTEN: 'comma-separated multiaddrs the IPFS node listens on (default /ip4/127.0.0.1/tcp/<COVE_IPFS_PORT>)',
  COVE_IPFS_PORT: 'TCP port of the default IPFS listen address (default: chosen at first start, recorded in <data dir>/ipfs-port, reused after)',
  COVE_IPFS_PEERS: 'comma-separated multiaddrs to dial at start',
  COVE_JOB_CONCURRENCY: 'jobs running at once',
  COVE_JOB_QUEUE_MAX: 'jobs waiting (429 QUEUE_FULL beyond)',
  COVE_RUNTIME: 'OCI runtime of jobs: auto (gVisor when its probe passes, else runc), runsc or runc',
  COVE_RUNTIME_PROBE_IMAGE: "local image whose 'node -e 0' the runtime probe runs",
  COVE_RECEIPT_BATCH_SIZE: 'receipts per recordBatch transaction, 1..256 (1: each job alone with recordJob, at once)',
  COVE_RECEIPT_BATCH_AGE_MS: 'longest a queued receipt waits for its batch to fill before it goes out as it is',
  COVE_BODY_LIMIT_BYTES: 'largest request body (413 beyond)',
  COVE_INLINE_CODE_MAX_BYTES: 'largest algorithm bundle sent inline (larger ones come by CID)',
  COVE_CODE_FETCH_TIMEOUT_MS: 'how long admission may fetch a bundle by CID',
  COVE_PIN_MAX_BYTES: 'the largest dataset (plaintext bytes) one POST /v1/pin may carry; its envelope, DAG and document are allowed on top',
  COVE_PIN_IDLE_TIMEOUT_MS: 'how long a pin may go without a block arriving (an idle deadline, not a total one)',
  COVE_INPUT_CACHE_MAX_BYTES: 'decrypted job inputs kept on disk for later jobs on the same dataset (least recently used out; 0: off)',
  COVE_RATE_LIMIT_PER_SECOND: 'requests per second per source address',
  COVE_RATE_LIMIT_BURST: 'burst per source address',
  COVE_SIGNER_RATE_LIMIT_PER_SECOND: 'requests per second per verified signer (default: the per-address value)',
  COVE_SIGNER_RATE_LIMIT_BURST: 'burst per verified signer (default: the per-address value)',
  COVE_PIN_ALLOW_PRIVATE_ADDRESSES: 'let POST /v1/pin dial loopback and private addresses (devnets only)',
  COVE_HTTP_MAX_CONNECTIONS: 'open HTTP connections in all',
  COVE_HTTP_MAX_CONNECTIONS_PER_ADDRESS: 'open HTTP connections per source address',
  COVE_HTTP_HEADERS_TIMEOUT_MS: 'deadline for a request\'s headers',
  COVE_HTTP_REQUEST_TIMEOUT_MS: 'deadline for a whole request (408 beyond)',
  COVE_HTTP_KEEP_ALIVE_TIMEOUT_MS: 'idle keep-alive connections close after this',
  COVE_MAX_SIGNATURE_TTL_SECONDS: 'longest a signed request may stay valid',
  COVE_ENVIRONMENTS: 'JSON array of environments: id, cpus, memoryBytes, timeoutSeconds, pidsLimit, outputBytes, images',
  COVE_LOG_LEVEL: 'pino level: fatal, error, warn, info, debug, trace or silent',
};

/** The default of one variable as text: what the schema makes of it unset; `required` when it refuses. */
function defaultOf(name: Variable): string {
  const res = EnvSchema.shape[name].safeParse(undefined);
  if (!res.success) return 'required';
  const v = res.data as unknown;
  if (v === undefined || (Array.isArray(v) && v.length === 0)) return '-';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The variables `--help` lists, in the schema's order. */
export function providerVariables(): { name: Variable; default: string; meaning: string }[] {
  return (Object.keys(EnvSchema.shape) as Variable[]).map((name) => ({ name, default: defaultOf(name), meaning: MEANING[name] }));
}

/** The text of `cove-provider --help`. */
export function providerHelp(): string {
  const rows = providerVariables();
  const width = Math.max(...rows.map((r) => r.name.length));
  return [
    'Usage: cove-provider [--help]',
    '',
    'Runs a Cove provider: its HTTP API, IPFS node and job runner (Docker). All configuration is',
    'COVE_* environment variables, checked at start (exit 2 naming every bad one).',
    '',
    'Environment:',
    ...rows.map((r) => `  ${r.name.padEnd(width)}  ${r.meaning}${r.default === '-' ? '' : ` [default: ${r.default}]`}`),
    '',
    'Example:',
    '  COVE_RPC_URL=http://127.0.0.1:8545 COVE_DATA_NFT_ADDRESS=0x… COVE_COMPUTE_RECEIPTS_ADDRESS=0x… \\',
    '    COVE_PROVIDER_REGISTRY_ADDRESS=0x… COVE_IPFS_PORT=4011 cove-provider',
    '',
    'On start it prints one JSON line {"event":"listening",url,address,ipfs}. GET /v1/health is 200 when',
    'the chain, IPFS and Docker all answer, 503 with each one\'s state otherwise. SIGINT/SIGTERM stop it.',
    'See docs/provider-operator.md.',
    '',
  ].join('\n');
}
