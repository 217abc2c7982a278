/** Starts the HTTP app over a scenario of fakes on port 0, for unit tests of the HTTP layer. */
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Signer } from 'ethers';
import { JOB_ACCESS_TYPES, type JobAction } from '@cove/sdk';
import { createProviderApp, type ProviderServices } from '../http/app.js';
import { createServices } from '../services.js';
import { createJobWorker } from '../usecases/jobWorker.js';
import { silentLogger } from './fakes.js';
import { createScenario, DATA_NFT, PROVIDER_X25519 } from './scenario.js';

export async function startHarness(o: { bodyBytes?: number; ratePerSecond?: number; rateBurst?: number; queueMax?: number; concurrency?: number; override?: Partial<ProviderServices> } = {}) {
  const s = createScenario();
  const worker = createJobWorker({
    store: s.store,
    engine: s.fengine.engine,
    storage: s.storage,
    crypto: s.crypto,
    chain: s.fchain.chain,
    workRoot: mkdtempSync(join(tmpdir(), 'cove-http-')),
    concurrency: o.concurrency ?? 2,
    queueMax: o.queueMax ?? 10,
    maxCodeBytes: 1 << 20,
    logger: silentLogger,
    receiptRetry: { attempts: 2, delayMs: 5 },
  });
  const limits = { bodyBytes: o.bodyBytes ?? 64 * 1024, inlineCodeBytes: 16 * 1024, maxSignatureTtlSeconds: 3600, queueMax: o.queueMax ?? 10, concurrency: 2, pinMaxBytes: 1 << 20 };
  const services = await createServices({
    store: s.store,
    worker,
    chain: s.fchain.chain,
    documents: s.documents.port,
    crypto: s.crypto,
    storage: s.storage,
    engine: s.fengine.engine,
    providerAddress: s.provider.address,
    x25519PublicKey: PROVIDER_X25519,
    contracts: { dataNft: DATA_NFT, computeReceipts: s.provider.address, providerRegistry: s.provider.address },
    environments: s.environments,
    limits,
  });
  const app = createProviderApp({
    services: { ...services, ...o.override },
    logger: pino({ level: 'silent' }),
    limits: { bodyBytes: limits.bodyBytes, ratePerSecond: o.ratePerSecond ?? 1000, rateBurst: o.rateBurst ?? 1000 },
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function accessHeaders(jobId: string, action: JobAction = 'read', signer: Signer = s.consumer) {
    const expiry = Math.floor(Date.now() / 1000) + 300;
    const signature = await signer.signTypedData(s.domain, JOB_ACCESS_TYPES, { jobId, action, expiry });
    return { 'x-cove-expiry': String(expiry), 'x-cove-signature': signature };
  }
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  return {
    s,
    worker,
    url,
    post,
    accessHeaders,
    async close() {
      worker.close();
      await new Promise((r) => server.close(r));
    },
  };
}
