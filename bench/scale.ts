import { execFile } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { parseEther } from 'ethers';
import { createProviderHttp, ORDER_AMOUNT, prepareAlgorithm } from '@cove/sdk';
import { requestPin } from '../sdk/src/actions/assets/pin.js';
import { createParticipant, type Participant } from '../demo/participants.js';
import { spawnProvider, type ChildProvider } from '../provider/src/component/child.js';
import { createWorld, IMAGES, type World } from '../provider/src/component/world.js';
import { against, type BenchRow, type BenchSuite } from './lib.js';

const SUITE = 'scale';
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const run = promisify(execFile);
/** The job: reads every input byte (sha256 of each file) and writes only the digests. */
const READ_ALL = new URL('./scale-read-all.js', import.meta.url).pathname;
/** Sizes always run, and those run only when COVE_BENCH_SCALE_MAX reaches them. */
const DEFAULT_SIZES = [64 * MiB, 1 * GiB];
const LARGE_SIZES = [4 * GiB, 20 * GiB];
/**
 * Free disk asked for per dataset size: the plaintext, the publisher's and the provider's blocks,
 * and the decrypted input (the job's copy and the cache entry are one inode).
 */
const DISK_FACTOR = 4;
/** The provider's pin idle deadline in the bench (its default is 60 s). */
const PIN_IDLE_TIMEOUT_MS = 30_000;
/** Pin requests per dataset when the pin stalls (each resumes the last). */
const PIN_ATTEMPTS = 10;

/** `64MiB`, `4GiB`, `20 GiB`, or bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)?\s*$/i.exec(text);
  if (!m) throw new Error(`COVE_BENCH_SCALE_MAX: not a size: ${text} (e.g. 20GiB)`);
  const unit = { b: 1, kib: 1024, mib: MiB, gib: GiB, tib: 1024 * GiB }[(m[2] ?? 'b').toLowerCase()]!;
  return Math.floor(Number(m[1]) * unit);
}

const label = (bytes: number) => (bytes >= GiB ? `${bytes / GiB} GiB` : `${bytes / MiB} MiB`);

/** Peak RSS of the processes sampled while `fn` runs, as growth over their RSS when it began. */
async function sampled<T>(pids: Record<string, number>, fn: () => Promise<T>): Promise<{ value: T; seconds: number; growth: Record<string, number> }> {
  const rss = async (pid: number) => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  };
  const names = Object.keys(pids);
  const base = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await rss(pids[n]!)] as const)));
  const peak = { ...base };
  let stop = false;
  const sampler = (async () => {
    while (!stop) {
      for (const n of names) peak[n] = Math.max(peak[n]!, await rss(pids[n]!));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, seconds: (performance.now() - t0) / 1000, growth: Object.fromEntries(names.map((n) => [n, (peak[n]! - base[n]!) / MiB])) };
  } finally {
    stop = true;
    await sampler;
  }
}

/** `size` bytes of distinct 1 MiB pieces (a counter stamped into one random buffer), written to `path`. */
async function writeDataset(path: string, size: number): Promise<void> {
  const piece = randomBytes(MiB);
  const out = createWriteStream(path);
  for (let i = 0; i * MiB < size; i++) {
    piece.writeUInt32BE(i, 0);
    if (!out.write(Buffer.from(piece.subarray(0, Math.min(MiB, size - i * MiB))))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Reports publishing's stages, and the pin every 10 %, on stderr. */
function stageLogger(name: string) {
  let stage = '';
  let tenth = -1;
  const t0 = performance.now();
  return (p: { stage: string; pinnedBytes?: number; pinTotalBytes?: number }) => {
    const at = `${((performance.now() - t0) / 1000).toFixed(1)} s`;
    if (p.stage !== stage) process.stderr.write(`bench scale: ${name}: ${(stage = p.stage)} at ${at}\n`);
    if (p.pinnedBytes !== undefined && p.pinTotalBytes) {
      const t = Math.floor((10 * p.pinnedBytes) / p.pinTotalBytes);
      if (t > tenth) process.stderr.write(`bench scale: ${name}: pinned ${(tenth = t) * 10} % at ${at}\n`);
    }
  };
}

/** The bare pass publishing needs at least: sha256 and AES-256-GCM over the file, 1 MiB reads. */
async function bareHashAndEncrypt(path: string): Promise<number> {
  const t0 = performance.now();
  const hash = createHash('sha256');
  const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) {
    hash.update(chunk as Buffer);
    cipher.update(chunk as Buffer);
  }
  hash.digest();
  cipher.final();
  return (performance.now() - t0) / 1000;
}

/** The job's algorithm on the plaintext in a bare container: same image and file, input read-only, no network. */
async function bareDockerRun(plain: string, out: string): Promise<number> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  await chmod(out, 0o777); // the image runs as uid 1000
  const t0 = performance.now();
  await run('docker', [
    'run', '--rm', '--network', 'none',
    '-e', 'COVE_INPUTS=/data/inputs', '-e', 'COVE_OUTPUTS=/data/outputs',
    '-v', `${plain}:/data/inputs/1/data.bin:ro`,
    '-v', `${READ_ALL}:/data/transformations/algorithm/scale-read-all.js:ro`,
    '-v', `${out}:/data/outputs`,
    IMAGES.node, 'node', '/data/transformations/algorithm/scale-read-all.js',
  ]);
  return (performance.now() - t0) / 1000;
}

type Stack = { w: World; prov: ChildProvider; owner: Participant; buyer: Participant; imageId: string; spec: Awaited<ReturnType<typeof prepareAlgorithm>>; scratch: string };

async function startStack(): Promise<Stack> {
  const w = await createWorld();
  const scratch = await mkdtemp(join(tmpdir(), 'cove-bench-scale-'));
  const env = w.providerEnv({
    COVE_PIN_MAX_BYTES: String(20 * GiB),
    // a stalled pin never recovers (see docs/data-plane.md): fail it early and ask again
    COVE_PIN_IDLE_TIMEOUT_MS: String(PIN_IDLE_TIMEOUT_MS),
    COVE_ENVIRONMENTS: JSON.stringify([{ id: 'default', cpus: 1, memoryBytes: 512 * MiB, timeoutSeconds: 3600, images: [IMAGES.node] }]),
  });
  const prov = await spawnProvider(env);
  // The owner's node is not connected beforehand: the provider dials it for the pin. With a
  // connection each way, pins of 1 GiB stalled for good at 10-20 % (see docs/data-plane.md).
  const participant = async (name: string, peers: string[]) => {
    const p = await createParticipant({ name, dir: scratch, provider: w.rpc, contracts: w.cove, signer: true, peers });
    await (await w.publisher.sendTransaction({ to: p.wallet.address, value: parseEther('10') })).wait();
    return p;
  };
  const owner = await participant('owner', []);
  const buyer = await participant('buyer', prov.ipfs);
  const imageId = await w.imageId(IMAGES.node);
  const spec = await prepareAlgorithm(undefined, { image: imageId, file: READ_ALL });
  return { w, prov, owner, buyer, imageId, spec, scratch };
}

async function stopStack(s: Stack): Promise<void> {
  for (const p of [s.owner, s.buyer]) await p.stop().catch(() => undefined);
  s.prov.child.kill('SIGTERM');
  await once(s.prov.child, 'exit').catch(() => undefined);
  await s.w.close();
  await rm(s.scratch, { recursive: true, force: true });
}

/** One size: publish with pin against the bare pass, two jobs (cold, then the cached input) against a bare docker run. */
async function measureSize(s: Stack, size: number): Promise<BenchRow[]> {
  const name = label(size);
  const plain = join(s.scratch, `data-${size}.bin`);
  await writeDataset(plain, size);
  const pids = { publisher: process.pid, provider: s.prov.child.pid! };
  const hashPass = await bareHashAndEncrypt(plain);
  const row = (figure: string, value: number, unit: string, note?: string): BenchRow => ({ suite: SUITE, name: `${name}: ${figure}`, value, unit, ...(note && { note }) });
  // Published without the SDK's pin, then pinned by the same signed request the SDK sends: a pin
  // that stalls (PIN_IDLE_TIMEOUT, see docs/data-plane.md) is asked again and resumes, fetching
  // only what had not arrived. The time is the whole: encrypt, add, publish, pin with its retries.
  const failures: string[] = [];
  const published = await sampled(pids, async () => {
    const asset = await s.owner.cove.publishAsset({
      file: plain,
      contentType: 'application/octet-stream',
      name: `Scale ${name}`,
      description: 'scale bench dataset',
      tags: ['bench'],
      license: 'CC0-1.0',
      provider: { url: s.prov.url },
      computePolicy: {
        allowedAlgorithms: [{ hash: s.spec.algorithmHash, name: 'read-all', spec: s.spec.spec }],
        limits: { cpus: 1, memoryBytes: 512 * MiB, timeoutSeconds: 3600, pidsLimit: 64, outputBytes: 4 * MiB },
        outputPolicy: { maxBytes: MiB, allowedPatterns: ['*.json'], logs: 'tail:20', leakGuard: { enabled: true, minRunBytes: 64 } },
      },
      pricing: { type: 'fixed', baseToken: '0x0000000000000000000000000000000000000000', rate: parseEther('0.001') },
      initialSupply: 10n * ORDER_AMOUNT,
      pin: false,
      onProgress: stageLogger(name),
    });
    const log = stageLogger(name);
    for (;;) {
      try {
        await requestPin({
          http: createProviderHttp({ url: s.prov.url }),
          signer: s.owner.wallet,
          chainId: s.w.cove.chainId,
          provider: s.prov.address,
          cids: [asset.encryptedContentCid, asset.documentCid],
          from: s.owner.storage.multiaddrs(),
          onProgress: (p) => log({ stage: 'pinning', pinnedBytes: p.bytes, pinTotalBytes: p.declaredBytes }),
        });
        return asset;
      } catch (err) {
        const code = (err as { details?: { providerCode?: string } }).details?.providerCode;
        if (code !== 'PIN_IDLE_TIMEOUT' || failures.length + 1 >= PIN_ATTEMPTS) throw err;
        failures.push(code);
        process.stderr.write(`bench scale: ${name}: pin attempt ${failures.length} failed (${code}); asking again, it resumes\n`);
      }
    }
  });
  const hashRow = row('bare sha256 + AES-256-GCM pass of the file', hashPass, 's', `${(size / MiB / hashPass).toFixed(0)} MiB/s`);
  const attempts = failures.length === 0 ? '' : `; pinned on attempt ${failures.length + 1} (earlier ones ${failures[0]}, resumed)`;
  const assetId = published.value.assetId;
  const job = async (tag: string) => {
    await s.buyer.cove.buyDatatokens({ assetId, amount: ORDER_AMOUNT });
    const order = await s.buyer.cove.orderAsset({ assetId });
    const provider = s.prov.url;
    return sampled(pids, async () => {
      const { jobId } = await s.buyer.cove.startCompute({ provider, datasets: [{ assetId, orderTxHash: order.txHash }], algorithm: { image: s.imageId, file: READ_ALL } });
      const done = await s.buyer.cove.waitForJob({ provider, jobId, pollMs: 100, timeoutMs: 3_600_000 });
      if (done.status !== 'succeeded') throw new Error(`scale job (${tag}, ${name}) ended ${done.status}: ${done.reason ?? ''}`);
      await s.buyer.cove.getResults({ provider, jobId, out: join(s.scratch, `results-${tag}-${size}`) });
    });
  };
  const cold = await job('cold');
  const warm = await job('cached');
  const bare = await bareDockerRun(plain, join(s.scratch, 'bare-out'));
  await rm(plain, { force: true });

  const bareRow = row('bare docker run reading the plaintext', bare, 's');
  return [
    hashRow,
    against(row('publish + pin (encrypt, add, publish tx, provider pins)', published.seconds, 's', `${(size / MiB / published.seconds).toFixed(0)} MiB/s${attempts}`), hashRow),
    bareRow,
    against(row('job startCompute → results, input fetched + decrypted', cold.seconds, 's', `vs bare run + one AES pass ${(bare + hashPass).toFixed(1)} s: ${(cold.seconds / (bare + hashPass)).toFixed(2)}×`), bareRow),
    against(row('job startCompute → results, input from the cache', warm.seconds, 's'), bareRow),
    row('publisher peak RSS growth (publish)', published.growth.publisher!, 'MiB'),
    row('provider peak RSS growth (pin)', published.growth.provider!, 'MiB'),
    row('provider peak RSS growth (cold job)', cold.growth.provider!, 'MiB', 'target ≤ 256 MiB'),
    row('provider peak RSS growth (cached job)', warm.growth.provider!, 'MiB'),
  ];
}

/**
 * `npm run bench scale`: a dataset of each size published with pin, then computed on by a job
 * that reads all of it, on a child provider (its RSS sampled from /proc) and an in-process
 * publisher and buyer. 64 MiB and 1 GiB always; 4 GiB and 20 GiB when COVE_BENCH_SCALE_MAX
 * reaches them and the disk has about four times the size free (skipped sizes are rows that say why).
 */
export const scale: BenchSuite = {
  name: SUITE,
  async run() {
    const max = process.env.COVE_BENCH_SCALE_MAX ? parseSize(process.env.COVE_BENCH_SCALE_MAX) : process.env.COVE_BENCH_SCALE_SIZES ? Infinity : Math.max(...DEFAULT_SIZES);
    const rows: BenchRow[] = [];
    const skip = (size: number, why: string) => {
      process.stderr.write(`bench scale: skipping ${label(size)}: ${why}\n`);
      rows.push({ suite: SUITE, name: `${label(size)}: skipped`, value: 0, unit: '', note: why });
    };
    const s = await startStack();
    try {
      // COVE_BENCH_SCALE_SIZES=1GiB,4GiB picks sizes (each still under COVE_BENCH_SCALE_MAX and the disk check)
      const sizes = process.env.COVE_BENCH_SCALE_SIZES ? process.env.COVE_BENCH_SCALE_SIZES.split(',').map(parseSize) : [...DEFAULT_SIZES, ...LARGE_SIZES];
      for (const size of sizes) {
        if (size > max) {
          skip(size, `above COVE_BENCH_SCALE_MAX (${label(max)}); set COVE_BENCH_SCALE_MAX=${label(size).replace(' ', '')} to run it`);
          continue;
        }
        const fs = await statfs(s.scratch);
        const free = fs.bavail * fs.bsize;
        if (free < DISK_FACTOR * size) {
          skip(size, `needs about ${label(DISK_FACTOR * size)} free disk in ${tmpdir()}, has ${(free / GiB).toFixed(1)} GiB`);
          continue;
        }
        process.stderr.write(`bench scale: ${label(size)}…\n`);
        rows.push(...(await measureSize(s, size)));
      }
    } finally {
      await stopStack(s);
    }
    return rows;
  },
};
