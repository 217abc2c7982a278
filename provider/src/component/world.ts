/**
 * A real world for component tests: anvil with Cove deployed, a client IPFS node (the
 * publisher's and buyer's), and helpers to publish an encrypted dataset, order it and
 * sign requests. The provider itself is started by each test (in-process or as a child).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcProvider, Wallet, Interface, type EventLog, type Signer } from 'ethers';
import {
  ANVIL_DEFAULT_KEYS,
  ASSET_KIND,
  PRICING,
  connectCove,
  createStorageNode,
  datatokenAbi,
  decodeKey,
  deployCove,
  encryptStream,
  generateContentKey,
  generateKeyPair,
  getDatatoken,
  sealKey,
  startAnvil,
  storeDocument,
  type AssetDocumentInput,
  type CoveContracts,
  type StorageNode,
} from '@cove/sdk';
import { algorithmHash, algorithmSpecSchema, bundleFiles, normalizeAlgorithmSpec, type AlgorithmSpec, COMPUTE_REQUEST_TYPES, DOWNLOAD_REQUEST_TYPES, JOB_ACCESS_TYPES, providerDomain, type ComputeRequestMessage, type JobAction } from '@cove/sdk';
import { loadConfig, type ProviderConfig } from '../config.js';

/** Runtime images of the tests (env-overridable). */
export const IMAGES = {
  node: process.env.COVE_NODE_IMAGE ?? 'cove/node-runtime:24',
  python: process.env.COVE_PYTHON_IMAGE ?? 'cove/python-sklearn:12',
} as const;

export const ONE = 10n ** 18n;
export const SERVICE = { compute: 0, access: 1, shortCompute: 2 } as const;

/** A tiny Node algorithm: counts the dataset's rows into metrics.json and prints a line. */
export const NODE_ALGORITHM = Buffer.from(`
const fs = require('node:fs'); const path = require('node:path');
const root = process.env.COVE_INPUTS; const rows = [];
for (const a of fs.readdirSync(root)) for (const f of fs.readdirSync(path.join(root, a))) rows.push(...fs.readFileSync(path.join(root, a, f), 'utf8').trim().split('\\n').slice(1));
const ms = Number(process.env.COVE_SLEEP_MS || 0);
const wait = Date.now() + (rows.some((r) => r.startsWith('sleep')) ? 4000 : ms); while (Date.now() < wait) {}
fs.writeFileSync(path.join(process.env.COVE_OUTPUTS, 'metrics.json'), JSON.stringify({ rows: rows.length }));
console.log('counted', rows.length);
`);

const datatokenIface = new Interface(datatokenAbi);

/** `PublishParams.computeServices`: bit i set when service i is a compute service. */
export function computeServicesOf(services: readonly { id: number | string; type: string }[]): number {
  return services.reduce((bits, s) => (s.type === 'compute' ? bits | (1 << Number(s.id)) : bits), 0);
}

export async function createWorld() {
  const anvil = await startAnvil();
  const rpc = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const deployer = new Wallet(ANVIL_DEFAULT_KEYS[0], rpc);
  const publisher = deployer;
  // Fresh buyer keys funded by the deployer (the SDK's list of anvil keys is only relied on for the first two).
  const buyer = new Wallet(Wallet.createRandom().privateKey, rpc);
  const stranger = new Wallet(Wallet.createRandom().privateKey, rpc);
  const providerKey = ANVIL_DEFAULT_KEYS[1];
  const cove: CoveContracts = await deployCove({ signer: deployer });
  for (const to of [buyer.address, stranger.address]) await (await deployer.sendTransaction({ to, value: 100n * ONE })).wait();
  const c = connectCove(cove, deployer);
  const dir = mkdtempSync(join(tmpdir(), 'cove-world-'));
  const client: StorageNode = await createStorageNode({ directory: join(dir, 'client-ipfs'), listen: true });
  const buyerKeys = generateKeyPair();

  /** Provider configuration over this world, as `loadConfig` would build it from the environment. */
  function providerConfig(o: Record<string, string> = {}): ProviderConfig {
    return loadConfig(providerEnv(o));
  }

  /** The `COVE_*` environment of a provider over this world. */
  function providerEnv(o: Record<string, string> = {}): Record<string, string> {
    return {
      COVE_PROVIDER_PORT: '0',
      COVE_PROVIDER_DATA_DIR: join(dir, 'provider'),
      COVE_PROVIDER_PRIVATE_KEY: providerKey,
      COVE_RPC_URL: anvil.rpcUrl,
      COVE_DATA_NFT_ADDRESS: cove.dataNFT,
      COVE_COMPUTE_RECEIPTS_ADDRESS: cove.computeReceipts,
      COVE_PROVIDER_REGISTRY_ADDRESS: cove.providerRegistry,
      COVE_IPFS_PEERS: client.multiaddrs().join(','),
      COVE_LOG_LEVEL: 'silent',
      // The world's publisher node listens on loopback, which a provider refuses to dial by default.
      COVE_PIN_ALLOW_PRIVATE_ADDRESSES: 'true',
      COVE_JOB_CONCURRENCY: '2',
      COVE_ENVIRONMENTS: JSON.stringify([{ id: 'default', cpus: 1, memoryBytes: 512 * 1024 * 1024, timeoutSeconds: 60, images: [IMAGES.node, IMAGES.python] }]),
      ...o,
    };
  }

  const imageId = async (ref: string) => {
    const Docker = (await import('dockerode')).default;
    return (await new Docker().getImage(ref).inspect()).Id;
  };
  /** The runtime images' IDs, so requests can name IMAGES by reference. */
  const imageIds = new Map<string, string>();
  for (const ref of Object.values(IMAGES)) imageIds.set(ref, await imageId(ref));

  /** Encrypts `content` to the provider, stores it and its document, publishes in one transaction. */
  /**
   * Publishes with `allowedAlgorithms` (hashes of approved specs) or, without them, a
   * policy that allows any algorithm on `allowedImages`.
   */
  async function publish(p: { provider: { address: string; url: string; x25519PublicKey: string }; content: string; allowedImages?: string[]; allowedAlgorithms?: string[]; logs?: string; tamper?: boolean; requireRuntime?: 'runsc' }) {
    const key = generateContentKey();
    const enc = encryptStream([Buffer.from(p.content)], { key });
    const encryptedContentCid = await client.add(enc);
    const r = await enc.result;
    const doc: AssetDocumentInput = {
      version: 2,
      name: 'rows',
      description: 'test rows',
      tags: [],
      license: 'CC0-1.0',
      kind: 'dataset',
      content: { type: 'text/csv', size: r.plaintextBytes, contentHash: r.contentHash, encryptedContentCid, sealedKey: sealKey({ key, recipientPublicKey: decodeKey(p.provider.x25519PublicKey), binding: { chainId: cove.chainId, dataNft: cove.dataNFT, publisher: publisher.address } }), envelope: r.params },
      provider: p.provider as never,
      services: [
        { id: SERVICE.compute, type: 'compute', timeoutSeconds: 3600 },
        { id: SERVICE.access, type: 'access', timeoutSeconds: 3600 },
        { id: SERVICE.shortCompute, type: 'compute', timeoutSeconds: 1 },
      ],
      computePolicy: {
        ...(p.allowedAlgorithms ? { allowedAlgorithms: p.allowedAlgorithms.map((hash) => ({ hash })) } : { allowAnyAlgorithm: true as const, allowedImages: p.allowedImages ?? [] }),
        ...(p.requireRuntime && { requireRuntime: p.requireRuntime }),
        limits: { cpus: 1, memoryBytes: 256 * 1024 * 1024, timeoutSeconds: 30, pidsLimit: 64, outputBytes: 4 * 1024 * 1024 },
        outputPolicy: { maxBytes: 1024 * 1024, allowedPatterns: ['*.json'], logs: p.logs ?? 'tail:20', leakGuard: { enabled: true, minRunBytes: 64 } },
      },
      created: new Date().toISOString(),
    };
    const stored = await storeDocument(client, doc);
    const tx = await c.assetFactory.getFunction('publish')({
      kind: ASSET_KIND.dataset,
      cid: stored.cid,
      metadataHash: p.tamper ? '0x' + 'ee'.repeat(32) : stored.hash,
      name: 'Rows',
      symbol: 'ROWS',
      serviceTimeouts: [3600, 3600, 1],
      // Bit i: service i is a compute service (the document's services 0 and 2).
      computeServices: computeServicesOf(doc.services),
      initialSupply: 100n * ONE,
      paymentCollector: '0x0000000000000000000000000000000000000000',
      parents: [],
      pricing: PRICING.none,
      fixedRate: { baseToken: '0x0000000000000000000000000000000000000000', rate: 0, feeCollector: '0x0000000000000000000000000000000000000000', feeBps: 0 },
      dispenser: { maxPerAddress: 0, maxTotal: 0 },
    });
    const mined = (await tx.wait())!;
    const ev = mined.logs.map((l: { topics: readonly string[]; data: string }) => c.assetFactory.interface.parseLog(l)).find((e: { name?: string } | null) => e?.name === 'AssetPublished')!;
    const assetId = ev.args.assetId as bigint;
    const datatoken = ev.args.datatoken as string;
    // Hand the buyer and the stranger some datatokens (one per order).
    const dt = getDatatoken(datatoken, publisher);
    await (await dt.getFunction('transfer')(buyer.address, 60n * ONE)).wait();
    await (await dt.getFunction('transfer')(stranger.address, 5n * ONE)).wait();
    return { assetId, datatoken, document: stored };
  }

  /** `startOrder` from `payer` (the buyer by default); returns the order's tx hash and id. */
  async function order(p: { datatoken: string; provider: string; serviceId?: number; consumer?: string; payer?: Wallet }) {
    const payer = p.payer ?? buyer;
    const tx = await getDatatoken(p.datatoken, payer).getFunction('startOrder')(p.consumer ?? payer.address, p.serviceId ?? SERVICE.compute, p.provider);
    const mined = (await tx.wait())!;
    const log = mined.logs.map((l: { topics: readonly string[]; data: string }) => datatokenIface.parseLog(l)).find((e: { name?: string } | null) => e?.name === 'OrderStarted')!;
    return { txHash: mined.hash as string, orderId: log.args.orderId as string };
  }

  /**
   * A signed-to-be compute request running `code` (default NODE_ALGORITHM as `main.js`) on
   * `image` (an ID, or one of IMAGES); `code` in the answer is the bundle to send inline.
   */
  function computeRequest(p: {
    datasets: { assetId: bigint; txHash: string; serviceId?: number }[];
    image: string;
    code?: Buffer;
    fileName?: string;
    nonce: bigint;
    consumer?: string;
    spec?: Partial<Omit<AlgorithmSpec, 'image' | 'codeHash'>>;
  }): { request: ComputeRequestMessage; code: Buffer; spec: AlgorithmSpec; algorithmHash: string } {
    const fileName = p.fileName ?? 'main.js';
    const bundle = bundleFiles(new Map([[fileName, p.code ?? NODE_ALGORITHM]]));
    const image = imageIds.get(p.image) ?? p.image;
    const spec = { ...normalizeAlgorithmSpec({ image, codeHash: bundle.codeHash, command: [fileName.endsWith('.py') ? 'python3' : 'node', `/data/transformations/algorithm/${fileName}`] }), ...p.spec };
    return {
      code: bundle.bytes,
      spec,
      // A deliberately invalid spec (attack tests) has no hash.
      algorithmHash: algorithmSpecSchema.safeParse(spec).success ? algorithmHash(spec) : '',
      request: {
        consumer: p.consumer ?? buyer.address,
        datasets: p.datasets.map((d) => ({ assetId: String(d.assetId), serviceId: String(d.serviceId ?? SERVICE.compute), orderTxHash: d.txHash })),
        algorithm: { ...spec, codeCid: '' },
        environment: 'default',
        consumerX25519: '0x' + Buffer.from(buyerKeys.publicKey).toString('hex'),
        nonce: String(p.nonce),
        expiry: Math.floor(Date.now() / 1000) + 600,
      },
    };
  }

  const domainOf = (providerAddress: string) => providerDomain({ chainId: cove.chainId, provider: providerAddress });
  const signCompute = (providerAddress: string, m: ComputeRequestMessage, w: Signer = buyer) => w.signTypedData(domainOf(providerAddress), COMPUTE_REQUEST_TYPES, m);
  const signDownload = (providerAddress: string, m: Record<string, unknown>, w: Signer = buyer) => w.signTypedData(domainOf(providerAddress), DOWNLOAD_REQUEST_TYPES, m);
  async function accessHeaders(providerAddress: string, jobId: string, action: JobAction = 'read', w: Signer = buyer) {
    const expiry = Math.floor(Date.now() / 1000) + 600;
    return { 'x-cove-expiry': String(expiry), 'x-cove-signature': await w.signTypedData(domainOf(providerAddress), JOB_ACCESS_TYPES, { jobId, action, expiry }) };
  }

  /**
   * A job's receipt as the chain recorded it: its `JobRecorded` event (every field), the orders and assets of its
   * `OrderConsumed` events, the transaction and block, and the batch (signer, size) its root names.
   */
  async function recordedJob(jobId: string) {
    const r = c.computeReceipts;
    const logs = await r.queryFilter(r.filters.JobRecorded(jobId), 0);
    if (logs.length !== 1) throw new Error(`${logs.length} JobRecorded events for job ${jobId}`);
    const ev = logs[0]!;
    const consumed = await r.queryFilter(r.filters.OrderConsumed(undefined, jobId), ev.blockNumber, ev.blockNumber);
    const batch = (await r.getFunction('batchOf')(ev.args.root)) as { provider: string; blockNumber: bigint; count: bigint };
    return {
      jobId: ev.args.jobId as string,
      root: ev.args.root as string,
      consumer: ev.args.consumer as string,
      outputsHash: ev.args.outputsHash as string,
      resultCid: ev.args.resultCid as string,
      status: Number(ev.args.status),
      runtime: Number(ev.args.runtime),
      algorithmImageDigest: ev.args.algorithmImageDigest as string,
      algorithmCodeHash: ev.args.algorithmCodeHash as string,
      algorithmHash: ev.args.algorithmHash as string,
      startedAt: ev.args.startedAt as bigint,
      finishedAt: ev.args.finishedAt as bigint,
      orderIds: consumed.map((l) => l.args.orderId as string),
      assetIds: consumed.map((l) => l.args.assetId as bigint),
      txHash: ev.transactionHash,
      blockNumber: ev.blockNumber,
      batch: { provider: batch.provider, blockNumber: Number(batch.blockNumber), count: Number(batch.count) },
    };
  }

  /** The job whose receipt spent `orderId` (its `OrderConsumed` event), or undefined. */
  async function spentBy(orderId: string): Promise<string | undefined> {
    const r = c.computeReceipts;
    const logs = await r.queryFilter(r.filters.OrderConsumed(orderId), 0);
    return logs[0]?.args.jobId as string | undefined;
  }

  async function advanceTime(seconds: number) {
    await rpc.send('evm_increaseTime', [seconds]);
    await rpc.send('evm_mine', []);
  }

  return {
    anvil, rpc, cove, c, dir, client, buyer, stranger, publisher, buyerKeys, providerKey,
    providerConfig, providerEnv, imageId, publish, order, computeRequest, signCompute, signDownload, accessHeaders, advanceTime, recordedJob, spentBy,
    async close() {
      await client.stop();
      rpc.destroy();
      await anvil.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type World = Awaited<ReturnType<typeof createWorld>>;

/** POSTs JSON and returns status and parsed body. */
export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

/** Polls a job's status until it is terminal and its receipt settled. */
export async function waitForJob(w: World, providerUrl: string, providerAddress: string, jobId: string, timeoutMs = 90_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${providerUrl}/v1/compute/${jobId}`, { headers: await w.accessHeaders(providerAddress, jobId) });
    const body = (await r.json()) as any;
    if (r.status !== 200) throw new Error(`status ${r.status}: ${JSON.stringify(body)}`);
    if (['succeeded', 'failed', 'timed_out', 'oom_killed', 'stopped', 'output_rejected', 'engine_error'].includes(body.status) && ['posted', 'failed'].includes(body.receipt.state)) return body;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${body.status} (receipt ${body.receipt.state})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
