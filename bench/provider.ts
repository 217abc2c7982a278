import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { NonceManager, Wallet } from 'ethers';
import { getDatatoken } from '@cove/sdk';
import { spawnProvider } from '../provider/src/component/child.js';
import { createWorld, IMAGES, ONE } from '../provider/src/component/world.js';
import { checkoutBaseline, DEFAULT_BASELINE, describeCurrent, type Baseline } from './baseline.js';
import { against, median, type BenchRow, type BenchSuite } from './lib.js';

const REQUESTS = 50;
const CONCURRENCY = 2;
const QUEUE_MAX = 16;
const LOAD_SECONDS = 3;
const CONNECTIONS = 32;
/** Runs of each side (baseline, current, baseline, current…), COVE_BENCH_PROVIDER_RUNS or 3; figures are their medians. */
const RUNS = Math.max(1, Math.floor(Number(process.env.COVE_BENCH_PROVIDER_RUNS)) || 3);
const SUITE = 'provider';
const ADMISSION = `admission of ${REQUESTS} concurrent requests`;
const HEALTH = 'GET /v1/health';
const STATUS = 'GET /v1/compute/:jobId (signed JobAccess)';
/**
 * The current provider's per-address limits against what the bench sends from one loopback
 * address: 50 POSTs at once (rate limit, then per-signer buckets, which default to the same
 * values), and at most 50 + 32 open connections (undici's pool for the admission burst, then
 * the load agent), under COVE_HTTP_MAX_CONNECTIONS_PER_ADDRESS's default of 128.
 */
const LIMITS = { COVE_RATE_LIMIT_BURST: '200' };
const LIMITS_NOTE = `COVE_RATE_LIMIT_BURST=200 (signer buckets follow it); <= ${REQUESTS + CONNECTIONS} connections, under the per-address cap of 128 (not raised)`;

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

/** One run's figures. */
type Run = { accepted: number; refused: number; refusedCodes: string[]; terminal: number; succeeded: number; admitMs: number; drainMs: number; health: number; status: number };

/**
 * The provider under load, as a child process on loopback: 50 compute requests fired at
 * once (50 buyers, one order each) against a queue of concurrency 2; then job-status reads
 * with a valid JobAccess token against GET /health in the same run.
 */
async function measure(): Promise<Run> {
  const w = await createWorld();
  const env = w.providerEnv({ COVE_JOB_CONCURRENCY: String(CONCURRENCY), COVE_JOB_QUEUE_MAX: String(QUEUE_MAX), ...LIMITS });
  const prov = await spawnProvider(env);
  try {
    const info = (await (await fetch(`${prov.url}/v1/info`)).json()) as { address: string; x25519PublicKey: string };
    const nodeImage = await w.imageId(IMAGES.node);
    const a = await w.publish({ provider: { address: info.address, url: prov.url, x25519PublicKey: info.x25519PublicKey }, content: 'x\n1\n2\n', allowedImages: [nodeImage] });

    // 50 buyers, each funded and holding one datatoken, each with its own order. The publisher
    // mints theirs: the world hands most of the initial supply to its own buyers.
    const funder = new NonceManager(w.publisher);
    const buyers = Array.from({ length: REQUESTS }, () => new Wallet(Wallet.createRandom().privateKey, w.rpc));
    const dt = getDatatoken(a.datatoken, funder);
    const funding = [];
    for (const b of buyers) {
      funding.push(await funder.sendTransaction({ to: b.address, value: ONE }));
      funding.push(await dt.getFunction('mint')(b.address, ONE));
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

    return {
      accepted: accepted.length,
      refused: refused.length,
      refusedCodes: [...new Set(refused.map((r) => r.body.error?.code ?? `HTTP ${r.status}`))],
      terminal: statuses.size,
      succeeded,
      admitMs,
      drainMs,
      health: health.rps,
      status: status.rps,
    };
  } finally {
    prov.child.kill('SIGTERM');
    await once(prov.child, 'exit');
    await w.close();
  }
}

const int = (x: number) => x.toFixed(0);
const list = (xs: number[], unit: string) => `runs ${xs.map(int).join(', ')} ${unit}`;

/**
 * How `ratio` (current / baseline, of the medians) reads against the 10% budget, and whether
 * the run pairs (each current run over the baseline run just before it) agree; `higherIsBetter`
 * for throughputs.
 */
function verdict(ratio: number, pairs: number[], higherIsBetter: boolean): string {
  const worse = (r: number) => (higherIsBetter ? 1 - r : r - 1);
  const pct = `${Math.abs(worse(ratio) * 100).toFixed(0)}%`;
  const change = worse(ratio) > 0 ? `${pct} ${higherIsBetter ? 'lower' : 'slower'}` : `${pct} ${higherIsBetter ? 'higher' : 'faster'}`;
  const over = pairs.filter((r) => worse(r) > 0.1).length;
  if (pairs.length > 1 && over > 0 && over < pairs.length) return `${change}; inconclusive: ${over} of ${pairs.length} run pairs beyond 10%`;
  if (worse(ratio) > 0.1) return `${change}: BEYOND the 10% budget`;
  return worse(ratio) > 0 ? `${change}, within the 10% budget` : change;
}

/** The current provider's rows: medians of its runs, in the same names as before. */
function currentRows(runs: Run[]): BenchRow[] {
  const m = (f: (r: Run) => number) => median(runs.map(f));
  const codes = [...new Set(runs.flatMap((r) => r.refusedCodes))].join(', ');
  const of = `median of ${runs.length}`;
  const healthRow: BenchRow = { suite: SUITE, name: HEALTH, value: m((r) => r.health), unit: 'req/s', note: `${of}, ${list(runs.map((r) => r.health), 'req/s')}; ${CONNECTIONS} keep-alive connections, ${LOAD_SECONDS} s, log level silent` };
  return [
    { suite: SUITE, name: `${REQUESTS} compute requests at once: accepted`, value: m((r) => r.accepted), unit: 'jobs', note: `${of}; ${m((r) => r.refused)} refused 429 (${codes}), 0 other; concurrency ${CONCURRENCY}, queue ${QUEUE_MAX}` },
    { suite: SUITE, name: 'accepted jobs terminal with receipt on-chain', value: m((r) => r.terminal), unit: 'jobs', note: `${of}; ${m((r) => r.succeeded)} succeeded; none lost in any run` },
    { suite: SUITE, name: ADMISSION, value: m((r) => r.admitMs), unit: 'ms', note: `${of}, ${list(runs.map((r) => r.admitMs), 'ms')}; ${LIMITS_NOTE}` },
    { suite: SUITE, name: 'admission to last receipt', value: m((r) => r.drainMs) / 1000, unit: 's', note: of },
    healthRow,
    against({ suite: SUITE, name: STATUS, value: m((r) => r.status), unit: 'req/s', note: `${of}, ${list(runs.map((r) => r.status), 'req/s')}; token verified once, then cached` }, healthRow),
  ];
}

/**
 * The baseline's rows (medians of its runs, named `… (baseline <commit>)`) and the current
 * figures against them. `baseRuns[i]` holds the rows the baseline's own suite wrote in the
 * run just before `runs[i]` (undefined if it failed); each comparison also lists those pairs' ratios.
 */
function comparisonRows(params: { label: string; runs: Run[]; baseRuns: (BenchRow[] | undefined)[]; describe: string }): BenchRow[] {
  const current = currentRows(params.runs);
  const valueIn = (rows: BenchRow[] | undefined, name: string) => rows?.find((r) => r.suite === SUITE && r.name === name)?.value;
  const baseline = (name: string, unit: string): BenchRow => {
    const xs = params.baseRuns.map((rows) => valueIn(rows, name)).filter((x): x is number => x !== undefined);
    const row = { suite: SUITE, name: `${name} (baseline ${params.label})`, unit };
    if (xs.length === 0) return { ...row, value: 0, note: "not measured: no such row in the baseline's output" };
    return { ...row, value: median(xs), note: `median of ${xs.length}, ${list(xs, unit)}; the baseline's own suite` };
  };
  const versus = (short: string, name: string, base: BenchRow, higherIsBetter: boolean): BenchRow[] => {
    if (base.value === 0) return [];
    const row = against({ suite: SUITE, name: `${short}: current vs ${params.label}`, value: valueIn(current, name)!, unit: base.unit }, base);
    const field = { [ADMISSION]: (r: Run) => r.admitMs, [HEALTH]: (r: Run) => r.health, [STATUS]: (r: Run) => r.status }[name]!;
    const pairs = params.runs.flatMap((r, i) => {
      const b = valueIn(params.baseRuns[i], name);
      return b === undefined ? [] : [field(r) / b];
    });
    return [{ ...row, note: `${verdict(row.ratio!, pairs, higherIsBetter)}; ratio of medians (run pairs ${pairs.map((x) => x.toFixed(2)).join(', ')}); current = ${params.describe}` }];
  };
  const admission = baseline(ADMISSION, 'ms');
  const health = baseline(HEALTH, 'req/s');
  const statusRead = baseline(STATUS, 'req/s');
  return [
    admission,
    health,
    health.value > 0 && statusRead.value > 0 ? against(statusRead, health) : statusRead,
    ...versus('admission', ADMISSION, admission, false),
    ...versus(HEALTH, HEALTH, health, true),
    ...versus('GET /v1/compute/:jobId', STATUS, statusRead, true),
  ];
}

/**
 * The provider suite, before and after: the baseline commit (COVE_BENCH_BASELINE, default the
 * last commit before the security work; `none` skips it) runs its own suite from a git
 * worktree, alternating with the current one, RUNS times each; rows give each side's medians
 * and current / baseline ratios. Without a baseline the current rows stand alone, with a note.
 */
export const provider: BenchSuite = {
  name: SUITE,
  async run() {
    const wanted = process.env.COVE_BENCH_BASELINE ?? DEFAULT_BASELINE;
    const notes: BenchRow[] = [];
    let base: Baseline | undefined;
    if (wanted !== 'none') {
      try {
        base = await checkoutBaseline({ commit: wanted });
      } catch (err) {
        notes.push({ suite: SUITE, name: `baseline ${wanted.slice(0, 7)}`, value: 0, unit: 'runs', note: `not measured: ${(err as Error).message}` });
      }
    }
    const runs: Run[] = [];
    const baseRuns: (BenchRow[] | undefined)[] = [];
    const failures: string[] = [];
    const load: number[] = [];
    try {
      for (let i = 1; i <= RUNS; i++) {
        if (base) {
          process.stderr.write(`bench: provider baseline ${base.label}, run ${i}/${RUNS}…\n`);
          load.push(loadavg()[0]!);
          baseRuns.push(
            await base.runSuite(SUITE).catch((err: Error) => {
              failures.push(err.message);
              return undefined;
            }),
          );
        }
        process.stderr.write(`bench: provider current, run ${i}/${RUNS}…\n`);
        load.push(loadavg()[0]!);
        runs.push(await measure());
      }
    } finally {
      await base?.remove();
    }
    if (base && failures.length > 0) notes.push({ suite: SUITE, name: `baseline ${base.label}: runs measured`, value: RUNS - failures.length, unit: 'runs', note: `${failures.length} of ${RUNS} failed: ${failures[0]}` });
    notes.push({ suite: SUITE, name: 'host load average (1 min), highest before a run', value: Math.max(...load), unit: '', note: `${load.map((x) => x.toFixed(1)).join(', ')} on ${availableParallelism()} CPUs; other work on the host skews every figure` });
    const compared = base && failures.length < RUNS ? comparisonRows({ label: base.label, runs, baseRuns, describe: await describeCurrent() }) : [];
    return [...currentRows(runs), ...compared, ...notes];
  },
};
