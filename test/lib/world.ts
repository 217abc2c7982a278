/**
 * One local Cove for an end-to-end file or bench: anvil with the contracts, a registered
 * provider (Helia, SQLite, Docker), and the participants of the story (owner, buyer,
 * auditor) each with a home, keys and an IPFS node of its own. Test-only.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseEther } from 'ethers';
import { algorithmCodeHash, prepareAlgorithm, type AlgorithmSpec, ORDER_AMOUNT, type PublishAssetParameters, type PublishAssetReturnType } from '@cove/sdk';
import { startDevnet, type Devnet } from '@cove/provider';
import { createParticipant, type Participant } from '../../demo/participants.js';
import { TEST_IMAGES } from './images.js';

const run = promisify(execFile);

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');
/** The example training algorithm (logistic regression, writes model.json — JSON weights, no pickle — and metrics.json). */
export const TRAIN_ALGORITHM = join(ROOT, 'examples/algorithms/train-logreg/algorithm.py');

export type World = {
  devnet: Devnet;
  /** Scratch directory of this world (participants' homes, datasets, results). */
  dir: string;
  owner: Participant;
  buyer: Participant;
  auditor: Participant;
  /** Local image ID (`sha256:…`) of the Python runtime image. */
  pythonImageId: string;
  /** Code hash of {@link TRAIN_ALGORITHM}'s bundle. */
  trainCodeHash: string;
  /** The whole container spec of the training algorithm, as the owner approves it, and its hash. */
  trainSpec: AlgorithmSpec;
  trainAlgorithmHash: string;
  /** Stops the participants' nodes, the provider and anvil, and removes `dir`. */
  close(): Promise<void>;
};

/** The local image ID (`sha256:…`) of `ref`. */
export async function imageIdOf(ref: string): Promise<string> {
  return (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
}

/**
 * Starts a devnet and the three participants; owner and buyer get 10 ETH each.
 * @example
 * const world = await startWorld();
 * try { … } finally { await world.close(); }
 */
export async function startWorld(): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'cove-e2e-'));
  const devnet = await startDevnet({ dir: join(dir, 'stack') });
  const participants: Participant[] = [];
  const close = async () => {
    for (const p of participants) await p.stop().catch(() => {});
    await devnet.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const common = { dir, provider: devnet.rpc, contracts: devnet.contracts, peers: devnet.provider.ipfsAddresses };
    const owner = await createParticipant({ ...common, name: 'owner', signer: true });
    participants.push(owner);
    const buyer = await createParticipant({ ...common, name: 'buyer', signer: true });
    participants.push(buyer);
    const auditor = await createParticipant({ ...common, name: 'auditor', signer: false });
    participants.push(auditor);
    for (const p of [owner, buyer]) await devnet.fund(p.wallet.address, parseEther('10'));
    const pythonImageId = await imageIdOf(TEST_IMAGES.python);
    const trainCodeHash = algorithmCodeHash({ fileName: 'algorithm.py', code: await readFile(TRAIN_ALGORITHM) });
    // The training algorithm as the owner approves it: the whole container spec the buyer will send.
    const train = await prepareAlgorithm(undefined, { image: pythonImageId, file: TRAIN_ALGORITHM });
    return { devnet, dir, owner, buyer, auditor, pythonImageId, trainCodeHash, trainSpec: train.spec, trainAlgorithmHash: train.algorithmHash, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Writes a small, deterministic, learnable CSV (header, `features` numeric columns, then a
 * 0/1 label) for the training algorithm; both classes are present.
 */
export async function writeSampleCsv(params: { path: string; rows: number; features?: number }): Promise<void> {
  const features = params.features ?? 4;
  let state = 0x2545f491;
  const next = () => {
    // xorshift32: the same bytes on every run, so content hashes are stable
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  const lines = [[...Array.from({ length: features }, (_, i) => `f${i}`), 'label'].join(',')];
  for (let r = 0; r < params.rows; r++) {
    const x = Array.from({ length: features }, () => next() * 2 - 1);
    const score = x.reduce((s, v, i) => s + v * (i % 2 === 0 ? 1 : -0.5), 0) + (next() - 0.5) * 0.3;
    lines.push([...x.map((v) => v.toFixed(5)), score > 0 ? '1' : '0'].join(','));
  }
  await writeFile(params.path, `${lines.join('\n')}\n`);
}

/** Exports scikit-learn's breast-cancer dataset as CSV to `path`, running the example script in the Python image. */
export async function exportBreastCancer(path: string): Promise<void> {
  const { stdout } = await run('docker', ['run', '--rm', '--network', 'none', '-v', `${join(ROOT, 'examples/datasets')}:/x:ro`, TEST_IMAGES.python, 'python3', '/x/export-breast-cancer.py'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  await writeFile(path, stdout);
}

/** The compute policy of the tests: the training algorithm's whole spec only (Python image, its code, its command), models and metrics out. */
export function trainingPolicy(world: Pick<World, 'trainSpec' | 'trainAlgorithmHash'>): NonNullable<PublishAssetParameters['computePolicy']> {
  return {
    allowedAlgorithms: [{ hash: world.trainAlgorithmHash, name: 'train-logreg', spec: world.trainSpec }],
    limits: { cpus: 1, memoryBytes: 1024 ** 3, timeoutSeconds: 120, pidsLimit: 256, outputBytes: 16 * 1024 ** 2 },
    outputPolicy: { maxBytes: 16 * 1024 ** 2, allowedPatterns: ['*.json'], logs: 'tail:20', leakGuard: { enabled: true, minRunBytes: 64 } },
  };
}

/** The owner publishes the CSV at `file` for compute, priced at 0.01 ETH a datatoken, under {@link trainingPolicy}. */
export async function publishDataset(world: World, params: { file: string; name: string }): Promise<PublishAssetReturnType> {
  return world.owner.cove.publishAsset({
    file: params.file,
    contentType: 'text/csv',
    name: params.name,
    description: 'End-to-end test dataset (compute only).',
    tags: ['test'],
    license: 'CC0-1.0',
    provider: { url: world.devnet.provider.url },
    computePolicy: trainingPolicy(world),
    pricing: { type: 'fixed', baseToken: '0x0000000000000000000000000000000000000000', rate: parseEther('0.01') },
    initialSupply: 20n * ORDER_AMOUNT,
  });
}

/** The buyer buys one datatoken of `assetId` and spends it on a compute order naming the world's provider. */
export async function buyAndOrder(world: World, assetId: bigint): Promise<{ orderId: string; txHash: string }> {
  await world.buyer.cove.buyDatatokens({ assetId, amount: ORDER_AMOUNT });
  const order = await world.buyer.cove.orderAsset({ assetId });
  return { orderId: order.orderId, txHash: order.txHash };
}

/** Starts the training algorithm on one order and waits for the job to end with its receipt on-chain. */
export async function runTraining(world: World, params: { assetId: bigint; orderTxHash: string; pollMs?: number }): Promise<{ jobId: string; status: string; reason: string | null; runtime: string | undefined }> {
  const provider = world.devnet.provider.url;
  const { jobId } = await world.buyer.cove.startCompute({
    provider,
    datasets: [{ assetId: params.assetId, orderTxHash: params.orderTxHash }],
    algorithm: { image: world.pythonImageId, file: TRAIN_ALGORITHM },
  });
  const job = await world.buyer.cove.waitForJob({ provider, jobId, waitForReceipt: true, timeoutMs: 120_000, pollMs: params.pollMs ?? 200 });
  return { jobId, status: job.status, reason: job.reason, runtime: job.runtime ?? undefined };
}
