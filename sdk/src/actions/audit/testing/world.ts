import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { create as createDigest } from 'multiformats/hashes/digest';
import { JsonRpcProvider, Wallet, ZeroAddress, ZeroHash, keccak256, toUtf8Bytes } from 'ethers';
import { serializeDocument, storeDocument } from '../../../asset/document.js';
import type { AssetDocumentInput } from '../../../asset/schema.js';
import { createCoveClientBase, type CoveClientBase } from '../../../client/base.js';
import { ASSET_KIND, JOB_RUNTIME, JOB_STATUS, PRICING, deployCove, getDatatoken, jobIdFor, jobProof, receiptDomain, signReceiptBatch, type CoveContracts, type JobProof, type JobReceipt } from '../../../contracts/index.js';
import { eventArgs } from '../../assets/chain.js';
import { computeServiceMask } from '../../assets/publishCore.js';
import { createReceiptLocator } from '../receipt-locator.js';
import { encodeKey, generateContentKey, generateKeyPair } from '../../../crypto/keys.js';
import { sealKey } from '../../../crypto/seal.js';
import { ANVIL_DEFAULT_KEYS, startAnvil, type Anvil } from '../../../devnet/anvil.js';
import { createStorageNode, type StorageNode } from '../../../storage/helia.js';
import { algorithmHash, normalizeAlgorithmSpec } from '../../../algorithm/spec.js';

/** The image and code a test algorithm runs (policy IDs are `sha256:<hex>`, receipts carry `0x<hex>`). */
export const TEST_IMAGE_ID = `sha256:${'1a'.repeat(32)}` as const;
export const TEST_CODE_HASH = `0x${'2b'.repeat(32)}` as const;
/** The approved container spec of the test algorithm, and its `algorithmHash` (in policies and `receiptFor` receipts). */
export const TEST_SPEC = normalizeAlgorithmSpec({ image: TEST_IMAGE_ID, codeHash: TEST_CODE_HASH, command: ['python3', '/data/transformations/algorithm/train.py'] });
export const TEST_ALGORITHM_HASH = algorithmHash(TEST_SPEC);
const ONE = 10n ** 18n;

export type PublishedAsset = { assetId: bigint; datatoken: string; cid: string; hash: string; document: AssetDocumentInput; contentHash: string };

/**
 * A real devnet for audit tests and benches: anvil with Cove deployed, a Helia node in a
 * temp dir, a registered provider key, a publisher (who also pays orders) and a relayer.
 */
export type AuditWorld = {
  anvil: Anvil;
  rpc: JsonRpcProvider;
  client: CoveClientBase;
  storage: StorageNode;
  addresses: CoveContracts;
  publisher: Wallet;
  consumer: Wallet;
  providerKey: Wallet;
  /** A document for a dataset served by `providerKey` (override any field). */
  datasetDocument(overrides?: Partial<AssetDocumentInput>): Promise<{ document: AssetDocumentInput; contentHash: string }>;
  /** Stores the document and publishes it (no pricing, `initialSupply` tokens to the publisher). */
  /** `stored: false` anchors the document's CID without adding it to storage (an unreachable document). */
  /** Publishes from `from` (default the publisher; a model citing jobs must come from their consumer). */
  publish(params: { document: AssetDocumentInput; kind?: keyof typeof ASSET_KIND; initialSupply?: bigint; parentJobIds?: string[]; stored?: boolean; from?: Wallet }): Promise<PublishedAsset>;
  /** Pays one order (service 0 by default) naming the provider; returns the order id. */
  order(datatoken: string, params?: { serviceId?: number; provider?: string }): Promise<string>;
  /** A receipt for `orders` filled with passing values unless overridden. */
  receiptFor(orders: { orderId: string; asset: PublishedAsset }[], overrides?: Partial<JobReceipt>): Promise<JobReceipt>;
  /** Signs (with the provider key unless `signer`) and records a receipt; returns the transaction hash. */
  /** Records one receipt (`recordJob`); returns the transaction hash. */
  record(receipt: JobReceipt, params?: { signer?: Wallet }): Promise<string>;
  /** Records receipts as one batch (`recordBatch`); returns the transaction hash. */
  recordBatch(receipts: JobReceipt[], params?: { signer?: Wallet }): Promise<string>;
  /** Anchors another document for an asset (`setMetadata`). */
  setDocument(assetId: bigint, document: AssetDocumentInput): Promise<{ cid: string; transactionHash: string; blockNumber: number }>;
  close(): Promise<void>;
};

export async function createAuditWorld(): Promise<AuditWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'cove-audit-'));
  const anvil = await startAnvil();
  const rpc = new JsonRpcProvider(anvil.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1 });
  const storage = await createStorageNode({ directory: join(dir, 'ipfs') });
  const publisher = new Wallet(ANVIL_DEFAULT_KEYS[0], rpc);
  const consumer = new Wallet(ANVIL_DEFAULT_KEYS[1], rpc);
  const relayer = new Wallet(ANVIL_DEFAULT_KEYS[2], rpc);
  const providerKey = new Wallet(ANVIL_DEFAULT_KEYS[3], rpc);
  const addresses = await deployCove({ signer: publisher });
  const client = createCoveClientBase({ provider: rpc, contracts: addresses, storage });
  const { assetFactory, dataNFT, providerRegistry, computeReceipts } = client.contracts;
  const providerX25519 = generateKeyPair();
  await (await providerRegistry.connect(providerKey).getFunction('register')('http://127.0.0.1:8030', encodeKey(providerX25519.publicKey), '')).wait();
  const domain = receiptDomain(addresses.chainId, addresses.computeReceipts);

  const world: AuditWorld = {
    anvil,
    rpc,
    client,
    storage,
    addresses,
    publisher,
    consumer,
    providerKey,
    async datasetDocument(overrides = {}) {
      const plaintext = randomBytes(256);
      const contentHash = `0x${createHash('sha256').update(plaintext).digest('hex')}`;
      const encryptedContentCid = await storage.add([randomBytes(300)]);
      const document: AssetDocumentInput = {
        version: 2,
        name: 'Audit test dataset',
        description: 'rows for an audit test',
        tags: ['test'],
        license: 'CC0-1.0',
        kind: 'dataset',
        content: {
          type: 'text/csv',
          size: plaintext.byteLength,
          contentHash,
          encryptedContentCid,
          sealedKey: sealKey({ key: generateContentKey(), recipientPublicKey: providerX25519.publicKey, binding: { chainId: addresses.chainId, dataNft: addresses.dataNFT, publisher: publisher.address } }),
          envelope: { version: 1, algorithm: 'aes-256-gcm', chunkSize: 1024 * 1024 },
        },
        provider: { address: providerKey.address, url: 'http://127.0.0.1:8030', x25519PublicKey: encodeKey(providerX25519.publicKey) },
        services: [
          { id: 0, type: 'compute', timeoutSeconds: 3600 },
          { id: 1, type: 'access', timeoutSeconds: 86400 },
        ],
        computePolicy: {
          allowedAlgorithms: [{ hash: TEST_ALGORITHM_HASH, spec: TEST_SPEC }],
          limits: { cpus: 1, memoryBytes: 256 * 1024 * 1024, timeoutSeconds: 600, pidsLimit: 64, outputBytes: 16 * 1024 * 1024 },
          outputPolicy: { maxBytes: 1024 * 1024, allowedPatterns: ['*.json', '*.pkl'], logs: 'none', leakGuard: { enabled: true } },
        },
        created: '2025-01-02T03:04:05.000Z',
        ...overrides,
      };
      return { document, contentHash: (document.content as { contentHash: string }).contentHash };
    },
    async publish({ document, kind = 'dataset', initialSupply = 10n * ONE, parentJobIds = [], stored = true, from = publisher }) {
      // Proofs are built without the SDK's checks, so tests can try what the contracts must refuse.
      const parents = await lineageProofs(rpc, addresses.computeReceipts, parentJobIds);
      const { cid, hash } = stored ? await storeDocument(storage, document) : unstoredCid(document);
      const tx = await assetFactory.connect(from).getFunction('publish')({
        kind: ASSET_KIND[kind],
        cid,
        metadataHash: hash,
        name: document.name.slice(0, 64),
        symbol: 'AUD',
        serviceTimeouts: document.services.map((s) => s.timeoutSeconds),
        computeServices: computeServiceMask(document.services),
        initialSupply,
        paymentCollector: ZeroAddress,
        parents,
        pricing: PRICING.none,
        fixedRate: { baseToken: ZeroAddress, rate: 0n, feeCollector: ZeroAddress, feeBps: 0 },
        dispenser: { maxPerAddress: 0n, maxTotal: 0n },
      });
      const args = eventArgs((await tx.wait())!.logs, assetFactory, 'AssetPublished');
      return { assetId: args.assetId as bigint, datatoken: args.datatoken as string, cid, hash, document, contentHash: document.content.contentHash };
    },
    async order(datatoken, { serviceId = 0, provider = providerKey.address } = {}) {
      const dt = getDatatoken(datatoken, publisher);
      const orderId = (await dt.getFunction('nextOrderId')(publisher.address)) as string;
      await (await dt.getFunction('startOrder')(consumer.address, serviceId, provider)).wait();
      return orderId;
    },
    async receiptFor(orders, overrides = {}) {
      const now = BigInt((await rpc.getBlock('latest'))!.timestamp);
      return {
        jobId: jobIdFor(providerKey.address),
        consumer: consumer.address,
        orderIds: orders.map((o) => o.orderId),
        assetIds: orders.map((o) => o.asset.assetId),
        datasetContentHashes: orders.map((o) => o.asset.contentHash),
        algorithmImageDigest: `0x${TEST_IMAGE_ID.slice('sha256:'.length)}`,
        algorithmCodeHash: TEST_CODE_HASH,
        algorithmHash: TEST_ALGORITHM_HASH,
        outputsHash: keccak256(toUtf8Bytes('no outputs')),
        resultCid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
        status: JOB_STATUS.succeeded,
        runtime: JOB_RUNTIME.runc,
        startedAt: now,
        finishedAt: now + 10n,
        ...overrides,
      };
    },
    async record(receipt, { signer = providerKey } = {}) {
      const { signature } = await signReceiptBatch(signer, domain, [receipt]);
      const tx = await computeReceipts.connect(relayer).getFunction('recordJob')(receipt, signature);
      await tx.wait();
      return tx.hash as string;
    },
    async recordBatch(receipts, { signer = providerKey } = {}) {
      const { signature } = await signReceiptBatch(signer, domain, receipts);
      const tx = await computeReceipts.connect(relayer).getFunction('recordBatch')(receipts, signature);
      await tx.wait();
      return tx.hash as string;
    },
    async setDocument(assetId, document) {
      const { cid, hash } = await storeDocument(storage, document);
      const tx = await dataNFT.connect(publisher).getFunction('setMetadata')(assetId, cid, hash);
      const r = (await tx.wait())!;
      return { cid, transactionHash: tx.hash as string, blockNumber: r.blockNumber };
    },
    async close() {
      rpc.destroy();
      await storage.stop();
      await anvil.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** The CID and hash a small document would get from `storeDocument` (one raw block), without storing it. */
function unstoredCid(document: AssetDocumentInput): { cid: string; hash: string } {
  const sha = createHash('sha256').update(serializeDocument(document)).digest();
  return { cid: CID.createV1(raw.code, createDigest(0x12, sha)).toString(), hash: `0x${sha.toString('hex')}` };
}

/** Lineage proofs of recorded jobs, found from their events (unknown jobs get a proof that cannot verify). */
async function lineageProofs(rpc: JsonRpcProvider, receiptsAddress: string, jobIds: string[]): Promise<JobProof[]> {
  if (jobIds.length === 0) return [];
  const locator = createReceiptLocator(rpc, receiptsAddress, { fromBlock: 0, toBlock: await rpc.getBlockNumber() });
  return Promise.all(jobIds.map(async (jobId) => {
    const found = await locator.locate(jobId);
    if (found === undefined) return { root: ZeroHash, receiptHash: ZeroHash, jobId, consumer: ZeroAddress, status: 0, proof: [] };
    return jobProof(found.receipts, found.index);
  }));
}
