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
import { createChainAdapter } from './adapters/chain.js';
import { createCryptoAdapter } from './adapters/crypto.js';
import { createDocumentsAdapter } from './adapters/documents.js';
import { createEngineAdapter } from './adapters/engine.js';
import { createStorageAdapter } from './adapters/storage.js';
import { createProviderApp } from './http/app.js';
import { createServices } from './services.js';
import { createJobWorker, type ReconcileReport } from './usecases/jobWorker.js';

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
 * keys, database, IPFS node, chain, registration in ProviderRegistry, reconciliation of
 * jobs left by a previous run, then the HTTP server.
 * @example
 * const provider = await startProvider(loadConfig(process.env));
 * console.log(provider.url);
 */
export async function startProvider(config: ProviderConfig, options: { logger?: Logger } = {}): Promise<RunningProvider> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const identity = await loadIdentity({
    privateKey: config.privateKey,
    keyFile: config.keyFile ?? join(dataDir, 'evm.key'),
    x25519KeyFile: config.x25519KeyFile ?? join(dataDir, 'x25519.json'),
    create: true,
  });
  const x25519PublicKey = encodeKey(identity.x25519.publicKey);
  const db = openDatabase({ path: join(dataDir, 'provider.db') });
  const store = createStore(db);
  const cleanups: (() => Promise<unknown> | unknown)[] = [() => db.close()];
  try {
    const node = await createStorageNode({ directory: join(dataDir, 'ipfs'), listen: config.ipfs.listen });
    cleanups.unshift(() => node.stop());
    for (const peer of config.ipfs.peers) await node.dial(peer).catch((err: unknown) => logger.warn({ err, peer }, 'could not dial IPFS peer'));
    const chain = await createChainAdapter({ rpcUrl: config.rpcUrl, wallet: identity.wallet, contracts: config.contracts });
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
    });
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
      concurrency: config.jobs.concurrency,
      queueMax: config.jobs.queueMax,
      maxCodeBytes: Math.max(config.limits.inlineCodeBytes, 16 * 1024 * 1024),
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
    });
    const app = createProviderApp({ services, logger, limits: { bodyBytes: config.limits.bodyBytes, ratePerSecond: config.limits.ratePerSecond, rateBurst: config.limits.rateBurst } });
    const server = app.listen(config.port, config.host);
    await new Promise<void>((res, rej) => server.once('listening', res).once('error', rej));
    server.keepAliveTimeout = 65_000;
    const url = `http://${config.host}:${(server.address() as AddressInfo).port}`;
    if (config.register) await chain.register({ url: config.publicUrl ?? url, x25519PublicKey });
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
