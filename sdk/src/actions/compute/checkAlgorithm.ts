import type { CoveClientBase } from '../../client/base.js';
import { prepareAlgorithm, type AlgorithmInput } from '../../algorithm/prepare.js';
import type { AlgorithmSpec } from '../../algorithm/spec.js';
import { connectProvider } from '../../provider-api/connect.js';
import { getAsset } from '../assets/getAsset.js';
import { ActionError } from '../errors.js';

export type CheckAlgorithmParameters = {
  /** The datasets the algorithm would run on. */
  assetIds: bigint[];
  algorithm: AlgorithmInput;
  /** The provider's URL: resolves an image reference to its ID through `/v1/info`. */
  provider?: string;
  signal?: AbortSignal;
};

export type CheckAlgorithmReturnType = {
  spec: AlgorithmSpec;
  algorithmHash: `0x${string}`;
  /** Assets that allow any algorithm: this spec runs there without its owner having approved it. */
  anyAlgorithm: string[];
};

/**
 * Checks an algorithm against every dataset's compute policy (as the verified documents
 * state it) before any order is spent: a compute service offered, and the spec's
 * `algorithmHash` in `allowedAlgorithms`, or `allowAnyAlgorithm` with the image in
 * `allowedImages`; and, given the provider, that it runs jobs under the runtime an asset
 * requires (`requireRuntime`).
 *
 * Errors: `ALGORITHM_NOT_ALLOWED` (details name the asset and the hash), `UNKNOWN_SERVICE`,
 * `RUNTIME_UNAVAILABLE`.
 *
 * @example
 * await checkAlgorithm(client, { assetIds: [1n], provider: url, algorithm: { image, file: 'train.py' } });
 */
export async function checkAlgorithm(client: CoveClientBase, params: CheckAlgorithmParameters): Promise<CheckAlgorithmReturnType> {
  const { signal } = params;
  const needsInfo = params.provider !== undefined && !/^sha256:[0-9a-f]{64}$/i.test(params.algorithm.image);
  const info = needsInfo ? (await connectProvider({ url: params.provider!, chainId: client.chainId, ...(signal ? { signal } : {}) })).info : undefined;
  const { spec, algorithmHash } = await prepareAlgorithm(client, params.algorithm, { ...(info && { info }), ...(signal ? { signal } : {}) });
  const anyAlgorithm: string[] = [];
  let runtime: Promise<string | undefined> | undefined;
  const providerRuntime = () =>
    (runtime ??= info !== undefined ? Promise.resolve(info.runtime) : connectProvider({ url: params.provider!, chainId: client.chainId, ...(signal ? { signal } : {}) }).then((p) => p.info.runtime));
  for (const assetId of params.assetIds) {
    const { document } = await getAsset(client, { assetId, ...(signal ? { signal } : {}) });
    const refuse = (rule: string, message: string) => {
      throw new ActionError('ALGORITHM_NOT_ALLOWED', `asset ${assetId}: ${message}`, { details: { assetId: String(assetId), rule, image: spec.image, algorithmHash } });
    };
    const policy = document.computePolicy;
    if (!document.services.some((s) => s.type === 'compute') || policy === undefined) {
      throw new ActionError('UNKNOWN_SERVICE', `asset ${assetId} offers no compute service`, { details: { assetId: String(assetId) } });
    }
    if (policy.allowAnyAlgorithm === true) {
      if (!(policy.allowedImages ?? []).includes(spec.image)) refuse('image', `the asset allows any algorithm, but not on image ${spec.image}`);
      anyAlgorithm.push(String(assetId));
    } else if (!(policy.allowedAlgorithms ?? []).some((a) => a.hash === algorithmHash)) {
      refuse('algorithm', `algorithm ${algorithmHash} (image, code, command, working dir, env, user) is not one the owner approved`);
    }
    if (policy.requireRuntime === 'runsc' && params.provider !== undefined) {
      const ran = await providerRuntime();
      if (ran !== 'runsc') {
        throw new ActionError('RUNTIME_UNAVAILABLE', `asset ${assetId} requires jobs to run under gVisor (runsc); the provider runs them under ${ran ?? 'an unstated runtime'}`, {
          details: { assetId: String(assetId), required: 'runsc', runtime: ran ?? null },
        });
      }
    }
  }
  return { spec, algorithmHash, anyAlgorithm };
}
