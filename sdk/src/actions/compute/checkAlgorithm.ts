import type { CoveClientBase } from '../../client/base.js';
import { algorithmCodeHash } from '../../provider-api/typedData.js';
import { connectProvider } from '../../provider-api/connect.js';
import { getAsset } from '../assets/getAsset.js';
import { ActionError } from '../errors.js';
import { readCode, type AlgorithmInput } from './startCompute.js';

export type CheckAlgorithmParameters = {
  /** The datasets the algorithm would run on. */
  assetIds: bigint[];
  algorithm: AlgorithmInput;
  /** The provider's URL: resolves an image reference to its ID through `/v1/info`. */
  provider: string;
  signal?: AbortSignal;
};

export type CheckAlgorithmReturnType = {
  codeHash: string;
  /** The image ID checked; undefined when a reference could not be resolved here (the provider still checks it). */
  imageId: string | undefined;
};

const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

/**
 * Checks an algorithm against every dataset's compute policy (as the verified documents
 * state it) before any order is spent: a compute service offered, the image ID in
 * `allowedImages`, the code hash in `allowedCodeHashes` unless `allowAnyAlgorithm`. An
 * image reference is resolved through the provider's environments when it lists it.
 *
 * Errors: `ALGORITHM_NOT_ALLOWED` (details name the asset and the rule), `UNKNOWN_SERVICE`.
 *
 * @example
 * await checkAlgorithm(client, { assetIds: [1n], provider: url, algorithm: { image, file: 'train.py' } });
 */
export async function checkAlgorithm(client: CoveClientBase, params: CheckAlgorithmParameters): Promise<CheckAlgorithmReturnType> {
  const { signal } = params;
  const { code, fileName } = await readCode(client, params.algorithm, signal);
  const codeHash = algorithmCodeHash({ fileName, code });
  const image = params.algorithm.image.toLowerCase();
  let imageId: string | undefined = IMAGE_ID.test(image) ? image : undefined;
  if (imageId === undefined) {
    const { info } = await connectProvider({ url: params.provider, chainId: client.chainId, ...(signal ? { signal } : {}) });
    imageId = info.environments.flatMap((e) => e.images).find((i) => i.ref === params.algorithm.image)?.id ?? undefined;
  }
  for (const assetId of params.assetIds) {
    const { document } = await getAsset(client, { assetId, ...(signal ? { signal } : {}) });
    const refuse = (rule: string, message: string) => {
      throw new ActionError('ALGORITHM_NOT_ALLOWED', `asset ${assetId}: ${message}`, { details: { assetId: String(assetId), rule, imageId, codeHash } });
    };
    const policy = document.computePolicy;
    if (!document.services.some((s) => s.type === 'compute') || policy === undefined) {
      throw new ActionError('UNKNOWN_SERVICE', `asset ${assetId} offers no compute service`, { details: { assetId: String(assetId) } });
    }
    if (imageId !== undefined && !policy.allowedImages.includes(imageId)) refuse('image', `image ${imageId} is not in the compute policy's allowed images`);
    if (policy.allowAnyAlgorithm !== true && !(policy.allowedCodeHashes ?? []).includes(codeHash)) {
      refuse('code', `code hash ${codeHash} of ${fileName} is not in the compute policy's allowed code hashes`);
    }
  }
  return { codeHash, imageId };
}
