import { requireSigner, requireX25519, type CoveClientBase } from '../../client/base.js';
import { decryptStream, type EnvelopeProgress } from '../../crypto/envelope.js';
import { encodeKey } from '../../crypto/keys.js';
import { openSealedKey } from '../../crypto/seal.js';
import { connectProvider } from '../../provider-api/connect.js';
import { nextNonce } from '../../provider-api/http.js';
import { DOWNLOAD_REQUEST_TYPES, providerDomain, type DownloadRequestMessage } from '../../provider-api/typedData.js';
import { writeFileAtomically } from '../../results/atomic.js';
import { getAsset } from '../assets/getAsset.js';
import { ActionError } from '../errors.js';

export type DownloadParameters = {
  assetId: bigint;
  /** The `startOrder` transaction of an access order naming the asset's provider. */
  orderTxHash: string;
  /** Default the asset's first access service. */
  serviceId?: number;
  /** File to create (must not exist); left absent on any failure. */
  out: string;
  /** IPFS multiaddrs to dial first; default the provider's node as its `/v1/info` lists it. */
  peers?: string[];
  timeoutMs?: number;
  ttlSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (p: EnvelopeProgress) => void;
};

export type DownloadReturnType = { path: string; contentHash: string; bytes: number };

/**
 * Downloads an asset through its access service: a signed request to the provider named in
 * the asset's verified document, which checks the order and answers with the encrypted
 * content CID and the content key re-sealed to the buyer's X25519 key. The ciphertext
 * comes from IPFS and is decrypted locally; its sha256 must equal the document's
 * `contentHash` (plaintext never crosses HTTP).
 *
 * Errors: `ASSET_NOT_FOUND`, `DOCUMENT_HASH_MISMATCH`, `INVALID_PARAMS` (no access service),
 * the provider's refusals (`ORDER_NOT_FOUND`, `ORDER_ALREADY_USED`…), `RESULT_MISMATCH`,
 * `CONTENT_HASH_MISMATCH`, `OUTPUT_EXISTS`.
 *
 * @example
 * const { orderTxHash } = ...; // orderAsset(client, { assetId, serviceId: 1 })
 * await download(client, { assetId, orderTxHash: txHash, out: './data.csv' });
 */
export async function download(client: CoveClientBase, params: DownloadParameters): Promise<DownloadReturnType> {
  const signer = requireSigner(client);
  const keys = requireX25519(client);
  const { signal } = params;
  const asset = await getAsset(client, { assetId: params.assetId, ...(signal ? { signal } : {}) });
  const serviceId = params.serviceId ?? asset.document.services.find((s) => s.type === 'access')?.id;
  if (serviceId === undefined) throw new ActionError('INVALID_PARAMS', `asset ${params.assetId} offers no access service`);
  const provider = await connectProvider({ url: asset.document.provider.url, chainId: client.chainId, ...(signal ? { signal } : {}) });
  const consumer = await signer.getAddress();
  const request: DownloadRequestMessage = {
    consumer,
    datasets: [{ assetId: String(params.assetId), serviceId: String(serviceId), orderTxHash: params.orderTxHash }],
    consumerX25519: encodeKey(keys.publicKey),
    nonce: String(await nextNonce(provider.http, consumer)),
    expiry: Math.floor(Date.now() / 1000) + (params.ttlSeconds ?? 600),
  };
  const signature = await signer.signTypedData(providerDomain({ chainId: client.chainId, provider: provider.address }), DOWNLOAD_REQUEST_TYPES, request);
  const { datasets } = await provider.http.download({ request, signature });
  const grant = datasets.find((d) => d.assetId === String(params.assetId));
  const content = asset.document.content;
  if (grant === undefined || grant.encryptedContentCid !== content.encryptedContentCid || grant.contentHash.toLowerCase() !== content.contentHash) {
    throw new ActionError('RESULT_MISMATCH', "the provider's grant does not match the asset document", { details: { grant, encryptedContentCid: content.encryptedContentCid, contentHash: content.contentHash } });
  }
  for (const peer of params.peers ?? provider.info.ipfs) await client.storage.dial(peer, signal ? { signal } : {});
  const { key } = openSealedKey({ sealed: grant.sealedKey, secretKey: keys.secretKey });
  try {
    const ciphertext = client.storage.cat(content.encryptedContentCid, { ...(signal ? { signal } : {}), ...(params.timeoutMs !== undefined ? { timeoutMs: params.timeoutMs } : {}) });
    let bytes = 0;
    const plaintext = decryptStream(ciphertext, {
      key,
      expectedContentHash: content.contentHash,
      ...(signal ? { signal } : {}),
      onProgress: (p) => ((bytes = p.plaintextBytes), params.onProgress?.(p)),
    });
    await writeFileAtomically(params.out, plaintext, signal);
    return { path: params.out, contentHash: content.contentHash, bytes };
  } finally {
    key.fill(0);
  }
}
