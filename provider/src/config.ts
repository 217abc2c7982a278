import { z } from 'zod';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte address');
const intFromEnv = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const list = z
  .string()
  .optional()
  .transform((s) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean));

/** One compute environment offered by the provider: its resource limits and runtime images. */
export const EnvironmentSchema = z.strictObject({
  id: z.string().min(1),
  /** CPU cores per job. */
  cpus: z.number().positive().default(1),
  memoryBytes: z.number().int().positive().default(1024 * 1024 * 1024),
  timeoutSeconds: z.number().int().positive().default(600),
  pidsLimit: z.number().int().positive().default(256),
  outputBytes: z.number().int().positive().default(64 * 1024 * 1024),
  /** Image references or IDs this environment runs; empty = any image an asset's policy allows. */
  images: z.array(z.string().min(1)).default([]),
});
export type Environment = z.infer<typeof EnvironmentSchema>;

/**
 * The provider's whole configuration, read from `COVE_*` variables. Each key names its
 * variable; every value has a default fit for a local devnet except the contract addresses.
 */
export const EnvSchema = z.object({
  COVE_PROVIDER_HOST: z.string().default('127.0.0.1'),
  COVE_PROVIDER_PORT: intFromEnv(8030),
  /** URL under which buyers reach this provider (registered in ProviderRegistry). */
  COVE_PROVIDER_PUBLIC_URL: z.string().url().optional(),
  COVE_PROVIDER_DATA_DIR: z.string().default('.cove/provider'),
  /** 0x-hex secp256k1 key; when absent the key file (created on first start) is used. */
  COVE_PROVIDER_PRIVATE_KEY: z.string().regex(/^0x[0-9a-fA-F]{64}$/).optional(),
  /** Defaults to `<data dir>/evm.key` and `<data dir>/x25519.json`. */
  COVE_PROVIDER_KEY_FILE: z.string().optional(),
  COVE_PROVIDER_X25519_KEY_FILE: z.string().optional(),
  COVE_PROVIDER_REGISTER: z.stringbool().default(true),
  COVE_RPC_URL: z.string().url().default('http://127.0.0.1:8545'),
  COVE_DATA_NFT_ADDRESS: address,
  COVE_COMPUTE_RECEIPTS_ADDRESS: address,
  COVE_PROVIDER_REGISTRY_ADDRESS: address,
  /** Multiaddrs the provider's IPFS node listens on; default `/ip4/127.0.0.1/tcp/<COVE_IPFS_PORT>`. */
  COVE_IPFS_LISTEN: list,
  /** TCP port of the default IPFS listen address; default: the one recorded in the data dir (chosen at first start). */
  COVE_IPFS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Multiaddrs of peers to dial at start (e.g. the publisher's node). */
  COVE_IPFS_PEERS: list,
  COVE_JOB_CONCURRENCY: intFromEnv(2, 1),
  COVE_JOB_QUEUE_MAX: intFromEnv(32, 0),
  /**
   * The OCI runtime of jobs: `auto` (gVisor's runsc when a probe container passes at start,
   * else runc), `runsc` (refuse to start without it) or `runc`. See docs/runner.md, Runtimes.
   */
  COVE_RUNTIME: z.enum(['auto', 'runsc', 'runc']).default('auto'),
  /** A local image whose `node -e 0` the runtime probe runs. */
  COVE_RUNTIME_PROBE_IMAGE: z.string().min(1).default('cove/node-runtime:24'),
  /**
   * Receipts per `recordBatch` transaction, 1..256: a batch goes out once this many jobs' receipts are queued (or see
   * COVE_RECEIPT_BATCH_AGE_MS). 1 (the default) posts each job's receipt alone with `recordJob`, as soon as it ends.
   */
  COVE_RECEIPT_BATCH_SIZE: z.coerce.number().int().min(1).max(256).default(1),
  /** The longest a queued receipt waits for its batch to fill before the batch goes out as it is (≤ 1 day). */
  COVE_RECEIPT_BATCH_AGE_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  COVE_BODY_LIMIT_BYTES: intFromEnv(512 * 1024, 1024),
  COVE_INLINE_CODE_MAX_BYTES: intFromEnv(256 * 1024, 0),
  /** How long admission may take to fetch an algorithm bundle given by CID (then ALGORITHM_CODE_UNAVAILABLE, nothing spent). */
  COVE_CODE_FETCH_TIMEOUT_MS: intFromEnv(30_000, 100),
  /**
   * The largest dataset (plaintext bytes) one `POST /v1/pin` may carry (20 GiB); the bytes it
   * may store, summed over its CIDs, are that dataset's envelope and DAG plus a document
   * (`pinStoredLimit`, listed in /v1/info as `limits.pinMaxStoredBytes`).
   */
  COVE_PIN_MAX_BYTES: intFromEnv(20 * 1024 ** 3, 0),
  /** How long a pin may go without a block arriving before PIN_IDLE_TIMEOUT (not a total deadline). */
  COVE_PIN_IDLE_TIMEOUT_MS: intFromEnv(60_000, 100),
  /**
   * Bytes of decrypted job inputs kept on disk (`<data dir>/input-cache`) so a later job on the same
   * dataset neither fetches nor decrypts it again; least recently used first out; 0 turns it off.
   */
  COVE_INPUT_CACHE_MAX_BYTES: intFromEnv(32 * 1024 ** 3, 0),
  /** Token bucket per source address, taken before a request is authenticated. */
  COVE_RATE_LIMIT_PER_SECOND: intFromEnv(50, 1),
  COVE_RATE_LIMIT_BURST: intFromEnv(100, 1),
  /** Token bucket per verified signer (compute, download, pin); default: the per-address values. */
  COVE_SIGNER_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).optional(),
  COVE_SIGNER_RATE_LIMIT_BURST: z.coerce.number().int().min(1).optional(),
  /** Let `POST /v1/pin` dial loopback, private and other non-public addresses (devnets and tests only). */
  COVE_PIN_ALLOW_PRIVATE_ADDRESSES: z.stringbool().default(false),
  /** Open HTTP connections in all, kept below the file descriptor limit; beyond it new ones are closed at once. */
  COVE_HTTP_MAX_CONNECTIONS: intFromEnv(512, 1),
  /** Open HTTP connections per source address; beyond it that address's new ones are closed at once. */
  COVE_HTTP_MAX_CONNECTIONS_PER_ADDRESS: intFromEnv(128, 1),
  /** A connection must deliver its request headers within this long (also the deadline for a first byte). */
  COVE_HTTP_HEADERS_TIMEOUT_MS: intFromEnv(10_000, 100),
  /** A request must be received whole within this long (408 beyond). */
  COVE_HTTP_REQUEST_TIMEOUT_MS: intFromEnv(30_000, 100),
  /** An idle keep-alive connection is closed after this long. */
  COVE_HTTP_KEEP_ALIVE_TIMEOUT_MS: intFromEnv(65_000, 100),
  /** Longest a signed request may stay valid, in seconds. */
  COVE_MAX_SIGNATURE_TTL_SECONDS: intFromEnv(3600, 1),
  /** JSON array of environments; see {@link EnvironmentSchema}. */
  COVE_ENVIRONMENTS: z
    .string()
    .default('[{"id":"default"}]')
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(z.array(EnvironmentSchema).min(1)),
  COVE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The environment, parsed into the shape the provider uses. */
export const ConfigSchema = EnvSchema.refine((e) => e.COVE_HTTP_HEADERS_TIMEOUT_MS <= e.COVE_HTTP_REQUEST_TIMEOUT_MS, {
  path: ['COVE_HTTP_HEADERS_TIMEOUT_MS'],
  message: 'must not exceed COVE_HTTP_REQUEST_TIMEOUT_MS',
}).transform((e) => ({
  host: e.COVE_PROVIDER_HOST,
  port: e.COVE_PROVIDER_PORT,
  publicUrl: e.COVE_PROVIDER_PUBLIC_URL,
  dataDir: e.COVE_PROVIDER_DATA_DIR,
  privateKey: e.COVE_PROVIDER_PRIVATE_KEY,
  keyFile: e.COVE_PROVIDER_KEY_FILE,
  x25519KeyFile: e.COVE_PROVIDER_X25519_KEY_FILE,
  register: e.COVE_PROVIDER_REGISTER,
  rpcUrl: e.COVE_RPC_URL,
  contracts: {
    dataNft: e.COVE_DATA_NFT_ADDRESS,
    computeReceipts: e.COVE_COMPUTE_RECEIPTS_ADDRESS,
    providerRegistry: e.COVE_PROVIDER_REGISTRY_ADDRESS,
  },
  ipfs: { listen: e.COVE_IPFS_LISTEN, port: e.COVE_IPFS_PORT, peers: e.COVE_IPFS_PEERS },
  jobs: { inputCacheMaxBytes: e.COVE_INPUT_CACHE_MAX_BYTES, concurrency: e.COVE_JOB_CONCURRENCY, queueMax: e.COVE_JOB_QUEUE_MAX, codeFetchTimeoutMs: e.COVE_CODE_FETCH_TIMEOUT_MS, runtime: e.COVE_RUNTIME, runtimeProbeImage: e.COVE_RUNTIME_PROBE_IMAGE },
  receipts: { batchSize: e.COVE_RECEIPT_BATCH_SIZE, batchAgeMs: e.COVE_RECEIPT_BATCH_AGE_MS },
  limits: {
    bodyBytes: e.COVE_BODY_LIMIT_BYTES,
    inlineCodeBytes: e.COVE_INLINE_CODE_MAX_BYTES,
    pinMaxBytes: e.COVE_PIN_MAX_BYTES,
    pinIdleTimeoutMs: e.COVE_PIN_IDLE_TIMEOUT_MS,
    ratePerSecond: e.COVE_RATE_LIMIT_PER_SECOND,
    rateBurst: e.COVE_RATE_LIMIT_BURST,
    signerRatePerSecond: e.COVE_SIGNER_RATE_LIMIT_PER_SECOND ?? e.COVE_RATE_LIMIT_PER_SECOND,
    signerRateBurst: e.COVE_SIGNER_RATE_LIMIT_BURST ?? e.COVE_RATE_LIMIT_BURST,
    maxSignatureTtlSeconds: e.COVE_MAX_SIGNATURE_TTL_SECONDS,
  },
  pin: { allowPrivateAddresses: e.COVE_PIN_ALLOW_PRIVATE_ADDRESSES },
  http: {
    maxConnections: e.COVE_HTTP_MAX_CONNECTIONS,
    maxConnectionsPerAddress: e.COVE_HTTP_MAX_CONNECTIONS_PER_ADDRESS,
    headersTimeoutMs: e.COVE_HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.COVE_HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: e.COVE_HTTP_KEEP_ALIVE_TIMEOUT_MS,
  },
  environments: e.COVE_ENVIRONMENTS,
  logLevel: e.COVE_LOG_LEVEL,
}));

export type ProviderConfig = z.output<typeof ConfigSchema>;

/** Thrown by {@link loadConfig}; `issues` lists each invalid variable as `path: message`. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(readonly issues: string[]) {
    super(`invalid provider configuration:\n  ${issues.join('\n  ')}`);
  }
}

/**
 * Parses the configuration once, failing fast with every problem as `path: message`.
 * The only place that reads the environment.
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined>): ProviderConfig {
  const res = ConfigSchema.safeParse(env);
  if (!res.success) throw new ConfigError(res.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  return res.data;
}
