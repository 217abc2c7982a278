import { ZeroAddress, getAddress } from 'ethers';
import { requireSigner, type CoveClientBase } from '../../client/base.js';
import { ASSET_KIND, PRICING, type JobProof } from '../../contracts/index.js';
import { storeDocument } from '../../asset/document.js';
import { ASSET_DOCUMENT_VERSION, type AssetDocumentInput } from '../../asset/schema.js';
import { connectProvider } from '../../provider-api/connect.js';
import { createProviderHttp } from '../../provider-api/http.js';
import { ActionError } from '../errors.js';
import { eventArgs, sendTx } from './chain.js';
import { encryptToStorage, type ContentInput } from './content.js';
import { requestPin } from './pin.js';

/** The compute policy as publish takes it (defaults filled in by the schema). */
export type ComputePolicyInput = NonNullable<AssetDocumentInput['computePolicy']>;

/** The provider that serves the asset: by URL (its `/v1/info` gives address and key), or spelled out. */
export type PublishProvider = { url: string; address?: undefined; x25519PublicKey?: undefined } | { url: string; address: string; x25519PublicKey: string };

export type ServiceInput = { type: 'access' | 'compute'; timeoutSeconds: number; price?: { token: string; amount: string } };

/** How datatokens are sold. `rate` is base-token units per whole datatoken (one order). */
export type PricingInput =
  | { type: 'fixed'; baseToken: string; rate: bigint; feeCollector?: string; feeBps?: number }
  | { type: 'free'; maxPerAddress: bigint; maxTotal?: bigint }
  | { type: 'none' };

export type PublishStage = 'encrypting' | 'storing' | 'pinning' | 'publishing';
/** `pinnedBytes` of `pinTotalBytes`: the provider's progress fetching the ciphertext and document (stage `pinning`). */
export type PublishProgress = { stage: PublishStage; plaintextBytes?: number; pinnedBytes?: number; pinTotalBytes?: number };

export type PublishCommonParameters = {
  name: string;
  description?: string;
  tags?: string[];
  /** SPDX identifier or URL; default `UNLICENSED`. */
  license?: string;
  provider: PublishProvider;
  /** Default: one compute service with a 1-day order timeout. Service id = index. */
  services?: ServiceInput[];
  computePolicy?: ComputePolicyInput;
  /** Default `{ type: 'none' }`. */
  pricing?: PricingInput;
  /** Datatoken units minted at publish (the pricing's deposit when priced); default 100 tokens. */
  initialSupply?: bigint;
  /** Datatoken symbol (1..32 bytes); default from the name. */
  symbol?: string;
  /** Receives order payments; default the publisher. */
  paymentCollector?: string;
  /** Ask the provider's node to fetch and pin the ciphertext and document (default true). */
  pin?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: PublishProgress) => void;
};

export type PublishCoreParameters = PublishCommonParameters & {
  kind: keyof typeof ASSET_KIND;
  input: ContentInput;
  contentType: string;
  /** A model's lineage: the proofs `DataNFT.mint` checks and the document's record of them. */
  parents?: JobProof[];
  lineage?: NonNullable<AssetDocumentInput['lineage']>;
};

export type PublishCoreReturnType = {
  assetId: bigint;
  datatoken: string;
  pricingId: bigint;
  documentCid: string;
  metadataHash: string;
  encryptedContentCid: string;
  contentHash: string;
  txHash: string;
};

export const DEFAULT_SERVICE: ServiceInput = { type: 'compute', timeoutSeconds: 86_400 };
const DEFAULT_SUPPLY = 100n * 10n ** 18n;

function truncateBytes(text: string, max: number): string {
  let out = '';
  for (const ch of text) {
    if (Buffer.byteLength(out + ch) > max) break;
    out += ch;
  }
  return out;
}

/** A datatoken symbol from an asset name: its letters and digits, upper case, at most 8. */
export function defaultSymbol(name: string): string {
  const letters = name.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 8);
  return letters === '' ? 'DT' : letters;
}

function pricingArgs(pricing: PricingInput) {
  const noFixed = { baseToken: ZeroAddress, rate: 0n, feeCollector: ZeroAddress, feeBps: 0 };
  const noDispenser = { maxPerAddress: 0n, maxTotal: 0n };
  if (pricing.type === 'fixed') {
    const feeBps = pricing.feeBps ?? 0;
    if (pricing.rate <= 0n) throw new ActionError('INVALID_PARAMS', 'a fixed price needs a positive rate');
    if (feeBps > 0 && pricing.feeCollector === undefined) throw new ActionError('INVALID_PARAMS', 'a marketplace fee needs a feeCollector');
    return { pricing: PRICING.fixedRate, fixedRate: { baseToken: getAddress(pricing.baseToken), rate: pricing.rate, feeCollector: pricing.feeCollector ?? ZeroAddress, feeBps }, dispenser: noDispenser };
  }
  if (pricing.type === 'free') {
    if (pricing.maxPerAddress <= 0n) throw new ActionError('INVALID_PARAMS', 'a dispenser needs a positive maxPerAddress');
    return { pricing: PRICING.dispenser, fixedRate: noFixed, dispenser: { maxPerAddress: pricing.maxPerAddress, maxTotal: pricing.maxTotal ?? 0n } };
  }
  return { pricing: PRICING.none, fixedRate: noFixed, dispenser: noDispenser };
}

/**
 * What publishAsset and publishModel share: encrypt to storage, seal to the provider, build
 * and store the document, have the provider pin both, then one `AssetFactory.publish`.
 */
export async function publishCore(client: CoveClientBase, params: PublishCoreParameters): Promise<PublishCoreReturnType> {
  const signer = requireSigner(client);
  const { signal, onProgress } = params;
  const services = params.services ?? [DEFAULT_SERVICE];
  const pricing = params.pricing ?? { type: 'none' };
  const chainPricing = pricingArgs(pricing);
  if (services.length === 0) throw new ActionError('INVALID_PARAMS', 'an asset needs at least one service');
  if (services.some((s) => s.type === 'compute') && params.computePolicy === undefined) {
    throw new ActionError('INVALID_PARAMS', 'a compute service needs a computePolicy (allowed images, code hashes or allowAnyAlgorithm, limits, output policy)');
  }
  const symbol = params.symbol ?? defaultSymbol(params.name);
  const provider =
    params.provider.address === undefined
      ? await connectProvider({ url: params.provider.url, chainId: client.chainId, ...(signal ? { signal } : {}) }).then((p) => ({ url: params.provider.url, address: p.address, x25519PublicKey: p.info.x25519PublicKey, http: p.http }))
      : { ...params.provider, address: getAddress(params.provider.address), http: createProviderHttp({ url: params.provider.url, ...(signal ? { signal } : {}) }) };

  onProgress?.({ stage: 'encrypting', plaintextBytes: 0 });
  const content = await encryptToStorage({
    storage: client.storage,
    input: params.input,
    providerX25519: provider.x25519PublicKey,
    // The provider checks all three against the chain, the creator being DataNFT.creatorOf (a sale does not change it).
    binding: { chainId: client.chainId, dataNft: client.addresses.dataNFT, publisher: await signer.getAddress() },
    ...(signal ? { signal } : {}),
    onProgress: (p) => onProgress?.({ stage: 'encrypting', plaintextBytes: p.plaintextBytes }),
  });

  onProgress?.({ stage: 'storing' });
  const document: AssetDocumentInput = {
    version: ASSET_DOCUMENT_VERSION,
    name: params.name,
    description: params.description ?? '',
    tags: params.tags ?? [],
    license: params.license ?? 'UNLICENSED',
    kind: params.kind,
    content: { type: params.contentType, size: content.size, contentHash: content.contentHash, encryptedContentCid: content.encryptedContentCid, sealedKey: content.sealedKey, envelope: content.envelope },
    provider: { address: provider.address, url: provider.url, x25519PublicKey: provider.x25519PublicKey.toLowerCase() },
    services: services.map((s, id) => ({
      id,
      type: s.type,
      timeoutSeconds: s.timeoutSeconds,
      ...(s.price ? { price: s.price } : pricing.type === 'fixed' ? { price: { token: getAddress(pricing.baseToken), amount: pricing.rate.toString() } } : {}),
    })),
    ...(params.computePolicy ? { computePolicy: params.computePolicy } : {}),
    ...(params.lineage ? { lineage: params.lineage } : {}),
    created: new Date().toISOString(),
  };
  const stored = await storeDocument(client.storage, document, signal ? { signal } : {});

  if (params.pin ?? true) {
    onProgress?.({ stage: 'pinning' });
    await requestPin({
      http: provider.http,
      signer,
      chainId: client.chainId,
      provider: provider.address,
      cids: [content.encryptedContentCid, stored.cid],
      from: client.storage.multiaddrs(),
      onProgress: (p) => onProgress?.({ stage: 'pinning', pinnedBytes: p.bytes, pinTotalBytes: p.declaredBytes }),
    });
  }

  onProgress?.({ stage: 'publishing' });
  const factory = client.contracts.assetFactory;
  const receipt = await sendTx(
    'publishAsset',
    () =>
      factory.publish({
        kind: ASSET_KIND[params.kind],
        cid: stored.cid,
        metadataHash: stored.hash,
        name: truncateBytes(params.name, 64),
        symbol: truncateBytes(symbol, 32),
        serviceTimeouts: services.map((s) => s.timeoutSeconds),
        computeServices: computeServiceMask(services),
        initialSupply: params.initialSupply ?? DEFAULT_SUPPLY,
        paymentCollector: params.paymentCollector ?? ZeroAddress,
        parents: params.parents ?? [],
        ...chainPricing,
      }),
    signal,
  );
  const event = eventArgs(receipt.logs, factory, 'AssetPublished');
  return {
    assetId: event.assetId as bigint,
    datatoken: event.datatoken as string,
    pricingId: event.pricingId as bigint,
    documentCid: stored.cid,
    metadataHash: stored.hash,
    encryptedContentCid: content.encryptedContentCid,
    contentHash: content.contentHash,
    txHash: receipt.hash,
  };
}

/** `PublishParams.computeServices`: bit i set when service i (its on-chain id) is a compute service. */
export function computeServiceMask(services: ReadonlyArray<{ type: 'access' | 'compute' }>): number {
  return services.reduce((mask, s, i) => (s.type === 'compute' ? mask | (1 << i) : mask), 0);
}
