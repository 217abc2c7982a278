import type { Environment } from '../config.js';
import { ProviderError } from '../errors.js';
import type { AssetView, EngineJobSpec } from '../ports.js';

const normId = (id: string) => id.toLowerCase().replace(/^sha256:/, '').replace(/^0x/, '');

/**
 * Checks an algorithm against every dataset's compute policy: its image ID must be in
 * each `allowedImages`, and its code hash in each `allowedCodeHashes` unless the dataset
 * allows any algorithm. Throws ALGORITHM_NOT_ALLOWED naming the first refusing asset.
 */
export function checkAlgorithmPolicy(params: { imageId: string; codeHash: string; datasets: { assetId: bigint; view: AssetView }[] }): void {
  for (const d of params.datasets) {
    const policy = d.view.compute;
    const details = { assetId: String(d.assetId) };
    if (!policy) throw new ProviderError('SERVICE_NOT_OFFERED', 'asset has no compute policy', { details });
    if (!policy.allowedImages.some((i) => normId(i) === normId(params.imageId))) {
      throw new ProviderError('ALGORITHM_NOT_ALLOWED', 'algorithm image not allowed by the asset', { details: { ...details, image: params.imageId } });
    }
    if (!policy.allowAnyAlgorithm && !policy.allowedCodeHashes.some((h) => normId(h) === normId(params.codeHash))) {
      throw new ProviderError('ALGORITHM_NOT_ALLOWED', 'algorithm code not allowed by the asset', { details: { ...details, codeHash: params.codeHash } });
    }
  }
}

/** True when two image IDs (with or without `sha256:`/`0x`) are the same. */
export function sameImageId(a: string, b: string): boolean {
  return normId(a) === normId(b);
}

/**
 * The limits and output policy a job runs under: the environment's limits, tightened by
 * every dataset's (the strictest wins); log release is the least any dataset allows.
 */
export function effectiveJobPolicy(env: Environment, views: AssetView[]): Pick<EngineJobSpec, 'limits' | 'output'> {
  const min = (base: number, xs: (number | undefined)[]) => Math.min(base, ...xs.filter((x): x is number => x !== undefined));
  const policies = views.map((v) => v.compute!).filter(Boolean);
  const limits = {
    cpus: min(env.cpus, policies.map((p) => p.limits?.cpus)),
    memoryBytes: min(env.memoryBytes, policies.map((p) => p.limits?.memoryBytes)),
    maxSeconds: min(env.maxSeconds, policies.map((p) => p.limits?.maxSeconds)),
    maxOutputBytes: min(env.maxOutputBytes, policies.map((p) => p.output.maxBytes)),
  };
  let logs: 'none' | { tail: number } = { tail: Number.MAX_SAFE_INTEGER };
  for (const p of policies) {
    if (p.output.logs === 'none' || logs === 'none') logs = 'none';
    else logs = { tail: Math.min(logs.tail, p.output.logs.tail) };
  }
  if (policies.length === 0) logs = 'none';
  const patternSets = policies.map((p) => p.output.allowedPatterns).filter((x): x is string[] => x !== undefined);
  // Several datasets with patterns: a file must be allowed by all; keep the first set and
  // let the runner intersect further ones only when they are identical (the common case).
  const allowedPatterns = patternSets.length === 0 ? undefined : patternSets.every((s) => JSON.stringify(s) === JSON.stringify(patternSets[0])) ? patternSets[0] : intersectPatterns(patternSets);
  const leakGuard = policies.some((p) => p.output.leakGuard === true);
  return { limits, output: { allowedPatterns, logs, leakGuard } };
}

function intersectPatterns(sets: string[][]): string[] {
  const [first, ...rest] = sets;
  return first!.filter((p) => rest.every((s) => s.includes(p)));
}
