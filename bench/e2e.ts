import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TEST_IMAGES } from '../test/lib/images.js';
import { buyAndOrder, exportBreastCancer, publishDataset, startWorld, TRAIN_ALGORITHM, type World } from '../test/lib/world.js';
import { against, type BenchRow, type BenchSuite } from './lib.js';

const SUITE = 'e2e';
const RUNS = 5;
/** Status poll interval of the timed jobs (the SDK's default is 500 ms). */
const POLL_MS = 100;
const run = promisify(execFile);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The training algorithm on the plaintext in a bare container: same image and file, input read-only, no network. */
async function bareRun(params: { csv: string; out: string }): Promise<number> {
  await rm(params.out, { recursive: true, force: true });
  await mkdir(params.out);
  await chmod(params.out, 0o777); // the image runs as uid 1000
  const t0 = performance.now();
  await run('docker', [
    'run', '--rm', '--network', 'none',
    '-v', `${params.csv}:/data/inputs/1/data.csv:ro`,
    '-v', `${TRAIN_ALGORITHM}:/data/transformations/algorithm/algorithm.py:ro`,
    '-v', `${params.out}:/data/outputs`,
    TEST_IMAGES.python, 'python3', '/data/transformations/algorithm/algorithm.py',
  ]);
  return performance.now() - t0;
}

type Phases = { accepted: number; succeeded: number; receipt: number; results: number };

/** One job through Cove, from `startCompute` to decrypted, checked results on disk; the order was placed beforehand. */
async function coveRun(world: World, params: { assetId: bigint; orderTxHash: string; out: string }): Promise<Phases> {
  const provider = world.devnet.provider.url;
  const t0 = performance.now();
  const { jobId } = await world.buyer.cove.startCompute({ provider, datasets: [{ assetId: params.assetId, orderTxHash: params.orderTxHash }], algorithm: { image: world.pythonImageId, file: TRAIN_ALGORITHM } });
  const accepted = performance.now() - t0;
  let succeeded = NaN;
  const job = await world.buyer.cove.waitForJob({
    provider,
    jobId,
    pollMs: POLL_MS,
    timeoutMs: 120_000,
    onProgress: (s) => {
      if (s.status === 'succeeded' && Number.isNaN(succeeded)) succeeded = performance.now() - t0;
    },
  });
  if (job.status !== 'succeeded') throw new Error(`bench job ended ${job.status}: ${job.reason ?? ''}`);
  const receipt = performance.now() - t0;
  await world.buyer.cove.getResults({ provider, jobId, out: params.out });
  return { accepted, succeeded, receipt, results: performance.now() - t0 };
}

/**
 * One small training job (logistic regression on the 569-row breast-cancer CSV) end to end
 * through Cove — signed request, order check, IPFS fetch and decryption, sandboxed run,
 * encrypted results, on-chain receipt, results decrypted and checked on disk — against a
 * bare `docker run` of the same image and algorithm on the plaintext, in the same run.
 * Publishing and ordering happen before the clock starts.
 */
export const e2e: BenchSuite = {
  name: SUITE,
  async run() {
    const world = await startWorld();
    const scratch = await mkdtemp(join(tmpdir(), 'cove-bench-e2e-'));
    try {
      const csv = join(world.owner.home, 'breast-cancer.csv');
      await exportBreastCancer(csv);
      const asset = await publishDataset(world, { file: csv, name: 'Breast cancer (bench)' });
      const orders = [];
      for (let i = 0; i <= RUNS; i++) orders.push(await buyAndOrder(world, asset.assetId));

      // Warm-up (image layers in the page cache, JIT, connections), then alternate so drift hits both alike.
      await bareRun({ csv, out: join(scratch, 'bare') });
      await coveRun(world, { assetId: asset.assetId, orderTxHash: orders[0]!.txHash, out: join(scratch, 'warm') });
      const bare: number[] = [];
      const cove: Phases[] = [];
      for (let i = 1; i <= RUNS; i++) {
        bare.push(await bareRun({ csv, out: join(scratch, 'bare') }));
        cove.push(await coveRun(world, { assetId: asset.assetId, orderTxHash: orders[i]!.txHash, out: join(scratch, `cove-${i}`) }));
      }

      const base: BenchRow = { suite: SUITE, name: `bare docker run --network none, same image + algorithm (median of ${RUNS})`, value: median(bare), unit: 'ms' };
      const total = median(cove.map((c) => c.results));
      const phase = (name: string, pick: (p: Phases) => number, note?: string): BenchRow => ({
        suite: SUITE,
        name,
        value: median(cove.map(pick)),
        unit: 'ms',
        ...(note && { note }),
      });
      return [
        base,
        against({ suite: SUITE, name: `one job: startCompute → decrypted results on disk (median of ${RUNS})`, value: total, unit: 'ms', note: `overhead ${(total - base.value).toFixed(0)} ms; poll ${POLL_MS} ms` }, base),
        phase('  startCompute accepted', (p) => p.accepted),
        phase('  job seen succeeded', (p) => p.succeeded, 'first poll that sees it'),
        phase('  receipt on-chain', (p) => p.receipt),
        { suite: SUITE, name: 'Cove overhead per job (median difference)', value: total - base.value, unit: 'ms' },
      ];
    } finally {
      await world.close();
      await rm(scratch, { recursive: true, force: true });
    }
  },
};
