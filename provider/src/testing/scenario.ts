/** A provider world of fakes for use-case unit tests: one provider, buyers, assets, orders. */
import { createHash, randomBytes } from 'node:crypto';
import { Wallet, type Signer, type TypedDataDomain } from 'ethers';
import { algorithmCodeHash, algorithmHash, bundleFiles, normalizeAlgorithmSpec, type AlgorithmSpec, COMPUTE_REQUEST_TYPES, DOWNLOAD_REQUEST_TYPES, providerDomain, type ComputeRequestMessage, type DownloadRequestMessage } from '@cove/sdk';
import type { Environment } from '../config.js';
import { openDatabase } from '../db/database.js';
import { createStore } from '../db/store.js';
import type { AssetView } from '../ports.js';
import { createFakeChain, createFakeCrypto, createFakeDocuments, createFakeEngine, createFakeStorage, fakeSealBound } from './fakes.js';

export const IMAGE_ID = 'sha256:' + 'b'.repeat(64);
export const OTHER_IMAGE_ID = 'sha256:' + 'c'.repeat(64);
export const CODE = Buffer.from('print("hello")\n');
/** The algorithm bundle (main.py) sent inline, its code hash, the approved spec and its hash. */
export const BUNDLE = bundleFiles(new Map([['main.py', CODE]])).bytes;
export const CODE_HASH = algorithmCodeHash({ fileName: 'main.py', code: CODE });
export const SPEC: AlgorithmSpec = normalizeAlgorithmSpec({ image: IMAGE_ID, codeHash: CODE_HASH, command: ['python3', '/data/transformations/algorithm/main.py'] });
export const ALGORITHM_HASH = algorithmHash(SPEC);
export const COMPUTE_SERVICE = '0';
export const ACCESS_SERVICE = '1';
export const PROVIDER_X25519 = '0x' + '11'.repeat(32);
export const CONSUMER_X25519 = '0x' + '22'.repeat(32);
/** The DataNFT the scenario's provider serves (its `COVE_DATA_NFT_ADDRESS`). */
export const DATA_NFT = '0x' + 'da'.repeat(20);

const sha = (b: Uint8Array | string) => '0x' + createHash('sha256').update(b).digest('hex');
const hex32 = () => '0x' + randomBytes(32).toString('hex');

export function createScenario() {
  const provider = Wallet.createRandom();
  const consumer = Wallet.createRandom();
  const stranger = Wallet.createRandom();
  /** Mints every asset (its `creatorOf`) unless `addAsset` says otherwise. */
  const publisher = Wallet.createRandom();
  const fchain = createFakeChain();
  const documents = createFakeDocuments();
  const storage = createFakeStorage();
  const crypto = createFakeCrypto(PROVIDER_X25519);
  const fengine = createFakeEngine({ images: { 'cove/python': IMAGE_ID, 'cove/other': OTHER_IMAGE_ID } });
  const store = createStore(openDatabase({ path: ':memory:' }));
  const domain: TypedDataDomain = providerDomain({ chainId: fchain.chain.chainId, provider: provider.address });
  const environments: Environment[] = [{ id: 'default', cpus: 1, memoryBytes: 2 ** 30, timeoutSeconds: 60, pidsLimit: 64, outputBytes: 2 ** 20, images: [] }];
  let nextAssetId = 1n;
  let nonce = 0n;

  async function addAsset(opts: { compute?: Partial<NonNullable<AssetView['compute']>>; services?: AssetView['services']; content?: string; tamperDocument?: boolean; publisher?: string } = {}) {
    const assetId = nextAssetId++;
    const plaintext = Buffer.from(opts.content ?? `a,b,label\n1,2,${assetId}\n`);
    const key = randomBytes(32);
    const encryptedContentCid = await storage.add(plaintext);
    const view: AssetView = {
      provider: { address: provider.address },
      services: opts.services ?? [
        { id: COMPUTE_SERVICE, type: 'compute', timeoutSeconds: 3600 },
        { id: ACCESS_SERVICE, type: 'access', timeoutSeconds: 3600 },
      ],
      compute: {
        allowedAlgorithms: [ALGORITHM_HASH],
        allowAnyAlgorithm: false,
        allowedImages: [],
        limits: { cpus: 1, memoryBytes: 2 ** 29, timeoutSeconds: 30, pidsLimit: 64, outputBytes: 2 ** 20 },
        output: { maxBytes: 2 ** 20, allowedPatterns: ['*'], logs: { tail: 100 }, leakGuard: { enabled: false, minRunBytes: 64 } },
        ...opts.compute,
      },
      content: {
        encryptedContentCid,
        sealedKey: fakeSealBound(key, PROVIDER_X25519, { chainId: fchain.chain.chainId, dataNft: DATA_NFT, publisher: opts.publisher ?? publisher.address }),
        contentHash: sha(plaintext),
        fileName: 'data.csv',
        size: plaintext.length,
      },
    };
    const documentCid = `bafydoc${assetId}`;
    const hash = sha(JSON.stringify(view));
    documents.docs.set(documentCid, { view, hash });
    const datatoken = Wallet.createRandom().address;
    fchain.assets.set(assetId, { documentCid, metadataHash: opts.tamperDocument ? sha('something else') : hash, datatoken });
    fchain.creators.set(assetId, opts.publisher ?? publisher.address);
    return { assetId, datatoken, view, plaintext };
  }

  /** Mines a fake order transaction; every field may be overridden to forge a bad one. */
  function order(assetId: bigint, o: { consumer?: string; provider?: string; serviceId?: string; validUntil?: bigint; emitter?: string; eventAssetId?: bigint } = {}) {
    const txHash = hex32();
    const orderId = hex32();
    fchain.txs.set(txHash, [
      {
        emitter: o.emitter ?? fchain.assets.get(assetId)!.datatoken,
        orderId,
        assetId: o.eventAssetId ?? assetId,
        consumer: o.consumer ?? consumer.address,
        payer: o.consumer ?? consumer.address,
        serviceId: o.serviceId ?? COMPUTE_SERVICE,
        provider: o.provider ?? provider.address,
        validUntil: o.validUntil ?? fchain.state.now + 3600n,
      },
    ]);
    return { txHash, orderId };
  }

  function computeRequest(datasets: { assetId: bigint; txHash: string; serviceId?: string }[], o: Partial<ComputeRequestMessage> = {}): ComputeRequestMessage {
    return {
      consumer: consumer.address,
      datasets: datasets.map((d) => ({ assetId: String(d.assetId), serviceId: d.serviceId ?? COMPUTE_SERVICE, orderTxHash: d.txHash })),
      algorithm: { ...SPEC, codeCid: '' },
      environment: 'default',
      consumerX25519: CONSUMER_X25519,
      nonce: String(++nonce),
      expiry: Math.floor(Date.now() / 1000) + 600,
      ...o,
    };
  }

  function downloadRequest(datasets: { assetId: bigint; txHash: string }[], o: Partial<DownloadRequestMessage> = {}): DownloadRequestMessage {
    return {
      consumer: consumer.address,
      datasets: datasets.map((d) => ({ assetId: String(d.assetId), serviceId: ACCESS_SERVICE, orderTxHash: d.txHash })),
      consumerX25519: CONSUMER_X25519,
      nonce: String(++nonce),
      expiry: Math.floor(Date.now() / 1000) + 600,
      ...o,
    };
  }

  const signCompute = (m: ComputeRequestMessage, w: Signer = consumer) => w.signTypedData(domain, COMPUTE_REQUEST_TYPES, m);
  const signDownload = (m: DownloadRequestMessage, w: Signer = consumer) => w.signTypedData(domain, DOWNLOAD_REQUEST_TYPES, m);

  return { provider, consumer, stranger, publisher, dataNft: DATA_NFT, fchain, documents, storage, crypto, fengine, store, domain, environments, addAsset, order, computeRequest, downloadRequest, signCompute, signDownload };
}

export type Scenario = ReturnType<typeof createScenario>;
