import { requireSigner, type CoveClientBase } from '../../client/base.js';
import { connectProvider, type ConnectedProvider } from '../../provider-api/connect.js';
import { signReviewRequest, type ReviewBody } from '../../provider-api/http.js';
import type { ReviewAction } from '../../provider-api/typedData.js';

/** One asset of the signer's at a provider, and optionally one of its jobs. */
export type ReviewRef = { provider: string; assetId: bigint; signal?: AbortSignal };

/** Opens the provider and signs a review request for `action` (the signer must own the asset now). */
export async function openReview(client: CoveClientBase, ref: ReviewRef & { action: ReviewAction; jobId?: string; ownerX25519?: string }): Promise<{ provider: ConnectedProvider; body: ReviewBody }> {
  const signer = requireSigner(client);
  const provider = await connectProvider({ url: ref.provider, chainId: client.chainId, ...(ref.signal ? { signal: ref.signal } : {}) });
  const body = await signReviewRequest({
    signer,
    chainId: client.chainId,
    provider: provider.address,
    assetId: ref.assetId,
    action: ref.action,
    ...(ref.jobId !== undefined && { jobId: ref.jobId.toLowerCase() }),
    ...(ref.ownerX25519 !== undefined && { ownerX25519: ref.ownerX25519 }),
  });
  return { provider, body };
}
