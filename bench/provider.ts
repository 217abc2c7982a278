import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { NonceManager, Wallet } from 'ethers';
import { getDatatoken } from '@cove/sdk';
import { spawnProvider } from '../provider/src/component/child.js';
import { createWorld, IMAGES, ONE } from '../provider/src/component/world.js';
import { against, type BenchRow, type BenchSuite } from './lib.js';

const REQUESTS = 50;
const CONCURRENCY = 2;
const QUEUE_MAX = 16;
const LOAD_SECONDS = 3;
const CONNECTIONS = 32;

/** Requests per second of `path` over `CONNECTIONS` keep-alive connections for `LOAD_SECONDS`. */
async function rps(url: string, path: string, headers: Record<string, string>): Promise<{ rps: number; non200: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const { hostname, port } = new URL(url);
  const get = () =>
    new Promise<number>((resolve, reject) => {
      const req = request({ agent, hostname, port, path, headers }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      });
      req.once('error', reject);
      req.end();
    });
  for (let i = 0; i < 200; i++) await get(); // warm-up: connections, JIT, the token cache
  let done = 0;
  let non200 = 0;
  const until = performance.now() + LOAD_SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        if ((await get()) !== 200) non200++;
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  return { rps: done / elapsed, non200 };
}

/**
 * The provider under load, as a child process on loopback: 50 compute requests fired at
 * once (50 buyers, one order each) against a queue of concurrency 2; then job-status reads
 * with a valid JobAccess token against GET /health in the same run.
 */
export const provider: BenchSuite = {
  name: 'provider',
  async run() {
    const w = await createWorld();
    const env = w.providerEnv({ COVE_JOB_CONCURRENCY: String(CONCURRENCY), COVE_JOB_QUEUE_MAX: String(QUEUE_MAX), COVE_RATE_LIMIT_BURST: '200' });
    const prov = await spawnProvider(env);
    try {
      const info = (await (await fetch(`${prov.url}/v1/info`)).json()) as { address: string; x25519PublicKey: string };
      const nodeImage = await w.imageId(IMAGES.node);
      const a = await w.publish({ provider: { address: info.address, url: prov.url, x25519PublicKey: info.x25519PublicKey }, content: 'x\n1\n2\n', allowedImages: [nodeImage] });

      // 50 buyers, each funded and holding one datatoken, each with its own order.
      const funder = new NonceManager(w.publisher);
      const buyers = Array.from({ length: REQUESTS }, () => new Wallet(Wallet.createRandom().privateKey, w.rpc));
      const dt = getDatatoken(a.datatoken, funder);
      const funding = [];
      for (const b of buyers) {
        funding.push(await funder.sendTransaction({ to: b.address, value: ONE }));
        funding.push(await dt.getFunction('transfer')(b.address, ONE));
      }
      await Promise.all(funding.map((t) => t.wait()));
      const orders = await Promise.all(buyers.map((b) => w.order({ datatoken: a.datatoken, provider: info.address, payer: b })));
      const bodies = await Promise.all(
        buyers.map(async (b, i) => {
          const { request, code } = w.computeRequest({ datasets: [{ assetId: a.assetId, txHash: orders[i]!.txHash }], image: IMAGES.node, nonce: 1n, consumer: b.address });
          return { request, signature: await w.signCompute(info.address, request, b), algorithmCode: code.toString('base64') };
        }),
      );

      const t0 = performance.now();
      const answers = await Promise.all(
        bodies.map(async (body) => {
          const r = await fetch(`${prov.url}/v1/compute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
          return { status: r.status, body: (await r.json()) as { jobId?: string; error?: { code: string } } };
        }),
      );
      const admitMs = performance.now() - t0;
      const accepted = answers.flatMap((x, i) => (x.status === 202 ? [{ jobId: x.body.jobId!, buyer: buyers[i]! }] : []));
      const refused = answers.filter((x) => x.status === 429);
      const other = answers.filter((x) => x.status !== 202 && x.status !== 429);
      if (other.length > 0) throw new Error(`unexpected answers: ${JSON.stringify(other.slice(0, 3))}`);

      // Every accepted job must reach a terminal state with its receipt settled.
      const terminal = new Set(['succeeded', 'failed', 'timed_out', 'oom_killed', 'stopped', 'output_rejected', 'engine_error']);
      const statuses = new Map<string, string>();
      const deadline = Date.now() + 300_000;
      for (const job of accepted) {
        for (;;) {
          const headers = await w.accessHeaders(info.address, job.jobId, 'read', job.buyer);
          const s = (await (await fetch(`${prov.url}/v1/compute/${job.jobId}`, { headers })).json()) as { status: string; receipt: { state: string } };
          if (terminal.has(s.status) && s.receipt.state === 'posted') {
            statuses.set(job.jobId, s.status);
            break;
          }
          if (Date.now() > deadline) throw new Error(`job ${job.jobId} lost: still ${s.status}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      const drainMs = performance.now() - t0;
      const succeeded = [...statuses.values()].filter((s) => s === 'succeeded').length;

      const first = accepted[0]!;
      const health = await rps(prov.url, '/v1/health', {});
      const status = await rps(prov.url, `/v1/compute/${first.jobId}`, await w.accessHeaders(info.address, first.jobId, 'read', first.buyer));
      if (status.non200 + health.non200 > 0) throw new Error(`non-200 answers under load: ${status.non200} status, ${health.non200} health`);

      const healthRow: BenchRow = { suite: 'provider', name: 'GET /v1/health', value: health.rps, unit: 'req/s', note: `${CONNECTIONS} keep-alive connections, ${LOAD_SECONDS} s, log level silent` };
      const rows: BenchRow[] = [
        { suite: 'provider', name: `${REQUESTS} compute requests at once: accepted`, value: accepted.length, unit: 'jobs', note: `${refused.length} refused 429 (${[...new Set(refused.map((r) => r.body.error?.code))].join(', ')}), 0 other; concurrency ${CONCURRENCY}, queue ${QUEUE_MAX}` },
        { suite: 'provider', name: 'accepted jobs terminal with receipt on-chain', value: statuses.size, unit: 'jobs', note: `${succeeded} succeeded; none lost` },
        { suite: 'provider', name: `admission of ${REQUESTS} concurrent requests`, value: admitMs, unit: 'ms' },
        { suite: 'provider', name: 'admission to last receipt', value: drainMs / 1000, unit: 's' },
        healthRow,
        against({ suite: 'provider', name: 'GET /v1/compute/:jobId (signed JobAccess)', value: status.rps, unit: 'req/s', note: 'token verified once, then cached' }, healthRow),
      ];
      return rows;
    } finally {
      prov.child.kill('SIGTERM');
      await once(prov.child, 'exit');
      await w.close();
    }
  },
};
