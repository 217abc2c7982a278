import { DataPlaneError } from '@cove/sdk';
/** Small in-memory stand-ins for the ports, for unit tests only. */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { ProviderError } from '../errors.js';
import { ReceiptRejectedError, type AssetRecord, type AssetView, type ChainPort, type CryptoPort, type DocumentsPort, type EngineJobSpec, type EngineOutcome, type EnginePort, type JobReceipt, type KeyBinding, type OrderEvent, type RecoveredJob, type StoragePort } from '../ports.js';

const sha = (b: Uint8Array | string) => '0x' + createHash('sha256').update(b).digest('hex');

export function createFakeChain(chainId = 31337n) {
  const assets = new Map<bigint, AssetRecord>();
  /** Publisher of each asset (`creatorOf`); set by the test. */
  const creators = new Map<bigint, string>();
  /** Current owner of each asset (`ownerOf`) when it differs from its creator; set by the test. */
  const owners = new Map<bigint, string>();
  /**
   * Spent orders (lower-case order id → the job whose `OrderConsumed` log names it, undefined when no log is found);
   * `recordReceipt` adds its orders, tests may add more.
   */
  const spentOrders = new Map<string, string | undefined>();
  const txs = new Map<string, OrderEvent[]>();
  const receipts: JobReceipt[] = [];
  /** `failReceipts`: the next N posts fail as an RPC would; `rejectReceipts`: jobs whose receipt the contract refuses. */
  const state = { now: 1_000_000n, failReceipts: 0, block: 0, rejectReceipts: new Set<string>(), posts: 0 };
  const chain: ChainPort = {
    chainId,
    async getAsset(id) {
      return assets.get(id);
    },
    async creatorOf(id) {
      return creators.get(id);
    },
    async ownerOf(id) {
      return owners.get(id) ?? creators.get(id);
    },
    async orderSpent({ orderId }) {
      const id = orderId.toLowerCase();
      return spentOrders.has(id) ? { jobId: spentOrders.get(id) } : undefined;
    },
    async getOrderEvents(txHash) {
      return txs.get(txHash.toLowerCase());
    },
    async latestTimestamp() {
      return state.now;
    },
    async recordReceipt(r) {
      state.posts++;
      if (state.rejectReceipts.has(r.jobId)) throw new ReceiptRejectedError(`ComputeReceipts refused the receipt of job ${r.jobId}: ComputeReceiptsRecordedTooLate`, 'ComputeReceiptsRecordedTooLate');
      if (state.failReceipts > 0) {
        state.failReceipts--;
        throw new Error('rpc down');
      }
      receipts.push(r);
      for (const orderId of r.orderIds) spentOrders.set(orderId.toLowerCase(), r.jobId);
      state.block++;
      return { txHash: '0x' + randomBytes(32).toString('hex'), root: '0x' + randomBytes(32).toString('hex'), blockNumber: state.block };
    },
  };
  return { chain, assets, creators, owners, spentOrders, txs, receipts, state };
}

export function createFakeDocuments() {
  const docs = new Map<string, { view: AssetView; hash: string }>();
  let loads = 0;
  const port: DocumentsPort = {
    async load({ cid, expectedHash }) {
      loads++;
      const d = docs.get(cid);
      if (!d) throw new ProviderError('ASSET_NOT_FOUND', 'document not found');
      if (d.hash !== expectedHash) throw new ProviderError('ASSET_DOCUMENT_MISMATCH', 'hash mismatch');
      return d.view;
    },
  };
  return { port, docs, loads: () => loads };
}

export function createFakeStorage(): StoragePort & { blobs: Map<string, Buffer> } {
  const blobs = new Map<string, Buffer>();
  return {
    blobs,
    async *cat(cid) {
      const b = blobs.get(cid);
      if (!b) throw new DataPlaneError('CID_NOT_FOUND', `no block ${cid}`);
      yield b;
    },
    async stat(cid) {
      const b = blobs.get(cid);
      if (!b) throw new Error(`no block ${cid}`);
      return { bytes: b.length };
    },
    async fetch(cid, { maxBytes, onProgress }) {
      const b = blobs.get(cid);
      if (!b) throw new DataPlaneError('CID_NOT_FOUND', `no block ${cid}`);
      if (b.length > maxBytes) throw new ProviderError('PIN_TOO_LARGE', `${cid} holds more than ${maxBytes} bytes`);
      onProgress?.({ bytes: b.length });
      return { bytes: b.length };
    },
    async pin(cid) {
      if (!blobs.has(cid)) throw new Error(`no block ${cid}`);
    },
    async dial() {},
    async block(cid) {
      return blobs.get(cid);
    },
    async add(source) {
      const chunks: Uint8Array[] = [];
      if (source instanceof Uint8Array) chunks.push(source);
      else for await (const c of source) chunks.push(c);
      const b = Buffer.concat(chunks);
      const cid = 'bafake' + sha(b).slice(2, 20);
      blobs.set(cid, b);
      return cid;
    },
  };
}

/** A fake bound sealed key (`sealed:<recipient>:<hex key>:<chainId>:<dataNft>:<publisher>`), as a publisher's document holds. */
export function fakeSealBound(key: Uint8Array, recipient: string, binding: KeyBinding): string {
  return `sealed:${recipient}:${Buffer.from(key).toString('hex')}:${binding.chainId}:${binding.dataNft}:${binding.publisher}`;
}

/** "Sealed" keys are `sealed:<recipient>:<hex key>` (bound: see {@link fakeSealBound}); "ciphertext" is the plaintext. */
export function createFakeCrypto(providerPublicKey: string): CryptoPort {
  return {
    openKey(sealed) {
      const [tag, to, hex, chainId, dataNft, publisher] = sealed.split(':');
      if (tag !== 'sealed' || to !== providerPublicKey) throw new Error('SEAL_OPEN_FAILED');
      const key = Buffer.from(hex!, 'hex');
      return chainId === undefined ? { key } : { key, binding: { chainId: BigInt(chainId), dataNft: dataNft!, publisher: publisher! } };
    },
    bindingOf(sealed) {
      const { key, binding } = this.openKey(sealed);
      key.fill(0);
      return binding;
    },
    sealKey: (key, recipient) => `sealed:${recipient}:${Buffer.from(key).toString('hex')}`,
    async decryptToFile({ source, path }) {
      const chunks: Uint8Array[] = [];
      for await (const c of source) chunks.push(c);
      const b = Buffer.concat(chunks);
      await writeFile(path, b);
      return { sha256: sha(b), bytes: b.length };
    },
    encryptFile({ path }) {
      return {
        key: randomBytes(32),
        ciphertext: (async function* () {
          yield await readFile(path);
        })(),
      };
    },
  };
}

/** An engine whose jobs end when the test says so (or at once with `autoFinish`). */
export function createFakeEngine(params: { images?: Record<string, string>; autoFinish?: (spec: EngineJobSpec) => Partial<EngineOutcome> } = {}) {
  const started: EngineJobSpec[] = [];
  const stopped: string[] = [];
  const waiters = new Map<string, { promise: Promise<EngineOutcome>; resolve: (o: EngineOutcome) => void }>();
  let recovered: RecoveredJob[] = [];
  const images = params.images ?? {};
  const waiter = (jobId: string) => {
    let w = waiters.get(jobId);
    if (!w) {
      let resolve!: (o: EngineOutcome) => void;
      const promise = new Promise<EngineOutcome>((r) => (resolve = r));
      w = { promise, resolve };
      waiters.set(jobId, w);
    }
    return w;
  };
  const outcome = (o: Partial<EngineOutcome>): EngineOutcome => ({ status: 'succeeded', imageDigest: 'sha256:' + 'a'.repeat(64), startedAt: 1000, finishedAt: 2000, ...o });
  const engine: EnginePort = {
    async start(spec, options) {
      started.push(spec);
      options?.onRunning?.();
      waiter(spec.jobId);
      if (params.autoFinish) setImmediate(() => waiter(spec.jobId).resolve(outcome(params.autoFinish!(spec))));
    },
    wait: (jobId) => waiter(jobId).promise,
    async stop(jobId) {
      stopped.push(jobId);
      waiter(jobId).resolve(outcome({ status: 'stopped', reason: 'stopped' }));
    },
    async recover() {
      for (const r of recovered) waiter(r.jobId);
      return recovered;
    },
    async discard(jobId) {
      stopped.push(jobId);
    },
    async resolveImage(ref) {
      if (/^sha256:[0-9a-f]{64}$/.test(ref) && Object.values(images).includes(ref)) return ref;
      return images[ref];
    },
  };
  return {
    engine,
    started,
    stopped,
    finish: (jobId: string, o: Partial<EngineOutcome> = {}) => waiter(jobId).resolve(outcome(o)),
    setRecovered: (r: RecoveredJob[]) => (recovered = r),
  };
}

export const silentLogger = { info() {}, warn() {}, error() {} };
