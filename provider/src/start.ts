import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { pino, type Logger } from 'pino';
import { createStorageNode, encodeKey, loadIdentity } from '@cove/sdk';
import { createDockerEngine } from '@cove/c2d-runner';
import type { ProviderConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { createStore, type Store } from './db/store.js';
import { createChainAdapter, MAX_IPFS_ADDRS_BYTES, registryIpfsAddrs } from './adapters/chain.js';
import { createCryptoAdapter } from './adapters/crypto.js';
import { createDocumentsAdapter } from './adapters/documents.js';
import { createEngineAdapter } from './adapters/engine.js';
import { createStorageAdapter } from './adapters/storage.js';
import { createProviderApp } from './http/app.js';
import { createHttpServer, openFileLimit } from './http/server.js';
import { prepareDatabaseFiles, securePrivateDir, tightenTree } from './dataDir.js';
import { createServices, maxCodeBytes } from './services.js';
import { ipfsListenAddresses, recordIpfsPort } from './ipfsListen.js';
import { createInputCache } from './usecases/inputCache.js';
import { createJobWorker, type ReconcileReport } from './usecases/jobWorker.js';

/** The raw block of zero bytes: what the IPFS probe asks the block store about. */
const EMPTY_BLOCK_CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

export type RunningProvider = {
  url: string;
  address: string;
  x25519PublicKey: string;
  /** Labels this provider's job containers (`cove.engine`); derived from its address and data directory. */
  instanceId: string;
  /** Multiaddrs of the provider's IPFS node (for publishers and buyers to dial). */
  ipfsAddresses: string[];
  reconciled: ReconcileReport;
  store: Store;
  server: Server;
  /** Waits until no job runs or waits and no receipt is being posted (tests, benches). */
  idle(): Promise<void>;
  /** Stops serving. Running containers are left to be adopted by the next start unless `stopJobs`. */
  close(options?: { stopJobs?: boolean }): Promise<void>;
};

/**
 * Wires the real adapters (SQLite, ethers, Helia, Docker) and starts the provider:
 * keys, database, IPFS node, chain, registration in ProviderRegistry (URL, X25519 key and IPFS multiaddrs), reconciliation of
 * jobs left by a previous run, then the HTTP server.
 * @example
 * const provider = await startProvider(loadConfig(process.env));
 * console.log(provider.url);
 */
export async function startProvider(config: ProviderConfig, options: { logger?: Logger } = {}): Promise<RunningProvider> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const dataDir = resolve(config.dataDir);
  // Owner-only: the database, the IPFS repository (its node key) and the key files; see dataDir.ts.
  await securePrivateDir(dataDir);
  const identity = await loadIdentity({
    privateKey: config.privateKey,
    keyFile: config.keyFile ?? join(dataDir, 'evm.key'),
    x25519KeyFile: config.x25519KeyFile ?? join(dataDir, 'x25519.json'),
    create: true,
  });
  const x25519PublicKey = encodeKey(identity.x25519.publicKey);
  const dbPath = join(dataDir, 'provider.db');
  await prepareDatabaseFiles(dbPath);
  const db = openDatabase({ path: dbPath });
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) await tightenTree(f);
  const store = createStore(db);
  const cleanups: (() => Promise<unknown> | unknown)[] = [() => db.close()];
  try {
    await tightenTree(join(dataDir, 'ipfs'));
    const node = await createStorageNode({ directory: join(dataDir, 'ipfs'), listen: await ipfsListenAddresses(config.ipfs, dataDir) });
    cleanups.unshift(() => node.stop());
    await recordIpfsPort(config.ipfs, dataDir, node.multiaddrs());
    await tightenTree(join(dataDir, 'ipfs')); // the node key and repository files a first start just wrote
    for (const peer of config.ipfs.peers) await node.dial(peer).catch((err: unknown) => logger.warn({ err, peer }, 'could not dial IPFS peer'));
    const chain = await createChainAdapter({
      rpcUrl: config.rpcUrl,
      wallet: identity.wallet,
      contracts: config.contracts,
      batch: { size: config.receipts.batchSize, maxAgeMs: config.receipts.batchAgeMs },
    });
    cleanups.unshift(() => chain.close());

    const docker = new Docker();
    const workRoot = join(dataDir, 'jobs');
    await mkdir(workRoot, { recursive: true, mode: 0o700 });
    // The data directory is part of the instance: two providers with one key on one host (devnets, tests) must not
    // recover, and so discard, each other's containers; a restart on the same directory still finds its own.
    const instanceId = `cove-${identity.address.slice(2, 18).toLowerCase()}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
    const runner = createDockerEngine({
      docker,
      workRoot: join(dataDir, 'runner'),
      instanceId,
      concurrency: config.jobs.concurrency,
      runtime: config.jobs.runtime,
      runtimeProbe: { image: config.jobs.runtimeProbeImage },
    });
    // The probe ran at creation: COVE_RUNTIME=runsc without a working gVisor refuses to start here.
    const runtime = await runner.runtime();
    logger.info(runtime, `jobs run under ${runtime.runtime}`);
    const engine = createEngineAdapter({ engine: runner, docker, workRoot });
    const storage = createStorageAdapter({ node });
    const crypto = createCryptoAdapter({ keyPair: identity.x25519 });
    const worker = createJobWorker({
      store,
      engine,
      storage,
      crypto,
      chain,
      workRoot,
      reviewRoot: join(dataDir, 'review'),
      concurrency: config.jobs.concurrency,
      queueMax: config.jobs.queueMax,
      maxCodeBytes: maxCodeBytes(config.limits.inlineCodeBytes),
      inputCache: createInputCache({ dir: join(dataDir, 'input-cache'), maxBytes: config.jobs.inputCacheMaxBytes, logger }),
      logger,
    });
    const reconciled = await worker.reconcile();
    if (reconciled.adopted.length + reconciled.requeued.length + reconciled.failed.length > 0) logger.info(reconciled, 'reconciled jobs of a previous run');

    const services = await createServices({
      store,
      worker,
      chain,
      documents: createDocumentsAdapter({ storage: node }),
      crypto,
      storage,
      engine,
      providerAddress: identity.address,
      x25519PublicKey,
      ipfsAddresses: node.multiaddrs(),
      contracts: config.contracts,
      environments: config.environments,
      limits: { bodyBytes: config.limits.bodyBytes, inlineCodeBytes: config.limits.inlineCodeBytes, maxSignatureTtlSeconds: config.limits.maxSignatureTtlSeconds, queueMax: config.jobs.queueMax, concurrency: config.jobs.concurrency, pinMaxBytes: config.limits.pinMaxBytes },
      signerRateLimit: { ratePerSecond: config.limits.signerRatePerSecond, burst: config.limits.signerRateBurst },
      pinAllowPrivateAddresses: config.pin.allowPrivateAddresses,
      pinIdleTimeoutMs: config.limits.pinIdleTimeoutMs,
      codeFetchTimeoutMs: config.jobs.codeFetchTimeoutMs,
      runtime: runtime.runtime,
      healthProbes: {
        chain: async () => ({ chainId: String(chain.chainId), blockNumber: await chain.blockNumber() }),
        ipfs: async () => {
          const addresses = node.multiaddrs();
          if (addresses.length === 0) throw new Error('the IPFS node listens on no address');
          await node.has(EMPTY_BLOCK_CID); // the block store answers
          return { peerId: node.peerId, addresses };
        },
        docker: async () => {
          await docker.ping();
          return { runtime: runtime.runtime };
        },
      },
    });
    const app = createProviderApp({ services, logger, limits: { bodyBytes: config.limits.bodyBytes, ratePerSecond: config.limits.ratePerSecond, rateBurst: config.limits.rateBurst } });
    const fdLimit = openFileLimit();
    if (fdLimit !== undefined && config.http.maxConnections + 256 > fdLimit) {
      logger.warn({ maxConnections: config.http.maxConnections, openFileLimit: fdLimit }, 'COVE_HTTP_MAX_CONNECTIONS leaves under 256 file descriptors for the database, IPFS and Docker: lower it or raise ulimit -n');
    }
    const server = createHttpServer(app, config.http).listen(config.port, config.host);
    await new Promise<void>((res, rej) => server.once('listening', res).once('error', rej));
    const url = `http://${config.host}:${(server.address() as AddressInfo).port}`;
    if (config.register) {
      // Publishers and buyers find the node's multiaddrs in the registry, next to the endpoint and the key.
      const ipfsAddrs = registryIpfsAddrs(node.multiaddrs(), node.peerId);
      if (ipfsAddrs.omitted.length > 0) logger.warn({ omitted: ipfsAddrs.omitted }, `IPFS multiaddrs beyond ${MAX_IPFS_ADDRS_BYTES} bytes are not registered`);
      const registration = await chain.register({ url: config.publicUrl ?? url, x25519PublicKey, ipfsAddrs: ipfsAddrs.value });
      logger.info({ registration, ipfsAddrs: ipfsAddrs.value }, 'provider registry');
    }
    logger.info({ url, address: identity.address, x25519PublicKey }, 'provider listening');

    return {
      url,
      address: identity.address,
      x25519PublicKey,
      instanceId,
      ipfsAddresses: node.multiaddrs(),
      reconciled,
      store,
      server,
      idle: () => worker.idle(),
      async close(opts = {}) {
        worker.close();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        if (opts.stopJobs) await runner.close();
        for (const c of cleanups) await c();
      },
    };
  } catch (err) {
    for (const c of cleanups) await Promise.resolve(c()).catch(() => {});
    throw err;
  }
}
