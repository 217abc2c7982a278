import type { Environment } from '../config.js';
import { ProviderError } from '../errors.js';
import type { AssetView, EngineJobSpec } from '../ports.js';

const normId = (id: string) => id.toLowerCase().replace(/^sha256:/, '').replace(/^0x/, '');

/**
 * Checks an algorithm against every dataset's compute policy: its `algorithmHash` (the
 * whole container spec) must be in each `allowedAlgorithms`, or the dataset allows any
 * algorithm and its image ID is in `allowedImages`. Throws ALGORITHM_NOT_ALLOWED naming
 * the first refusing asset. Returns whether any dataset let an unapproved spec run.
 */
export function checkAlgorithmPolicy(params: { imageId: string; algorithmHash: string; datasets: { assetId: bigint; view: AssetView }[] }): { anyAlgorithm: boolean } {
  let anyAlgorithm = false;
  for (const d of params.datasets) {
    const policy = d.view.compute;
    const details = { assetId: String(d.assetId), algorithmHash: params.algorithmHash };
    if (!policy) throw new ProviderError('SERVICE_NOT_OFFERED', 'asset has no compute policy', { details });
    if (policy.allowAnyAlgorithm) {
      if (!policy.allowedImages.some((i) => normId(i) === normId(params.imageId))) {
        throw new ProviderError('ALGORITHM_NOT_ALLOWED', 'the asset allows any algorithm, but not on this image', { details: { ...details, image: params.imageId } });
      }
      anyAlgorithm = true;
    } else if (!policy.allowedAlgorithms.some((h) => normId(h) === normId(params.algorithmHash))) {
      throw new ProviderError('ALGORITHM_NOT_ALLOWED', 'the algorithm (image, code, command, working dir, env, user) is not one the asset approved', { details });
    }
  }
  return { anyAlgorithm };
}

/**
 * Checks that this provider's jobs run under the runtime every dataset requires
 * (`requireRuntime: 'runsc'`): throws RUNTIME_UNAVAILABLE naming the first asset it cannot
 * serve, before anything is spent or queued.
 */
export function checkRuntimePolicy(params: { runtime: 'runc' | 'runsc'; datasets: { assetId: bigint; view: AssetView }[] }): void {
  for (const d of params.datasets) {
    const required = d.view.compute?.requireRuntime;
    if (required !== undefined && required !== params.runtime) {
      throw new ProviderError('RUNTIME_UNAVAILABLE', `the asset requires jobs to run under ${required} (gVisor); this provider runs them under ${params.runtime}`, {
        details: { assetId: String(d.assetId), required, runtime: params.runtime },
      });
    }
  }
}

/** True when two image IDs (with or without `sha256:`/`0x`) are the same. */
export function sameImageId(a: string, b: string): boolean {
  return normId(a) === normId(b);
}

/** The default release budget never goes below this: a small model and its metrics always fit, whatever the dataset's size. */
export const RELEASE_BUDGET_FLOOR = 64 * 1024;
/** The default release budget is 1 / this of a dataset's plaintext size. */
export const RELEASE_BUDGET_DIVISOR = 100;

/**
 * A dataset's release budget when its owner set none: 1% of its plaintext size, at least
 * 64 KiB, never above `maxBytes` (docs/runner.md "Release budget" says why).
 *
 * @example
 * defaultReleaseBudget({ plaintextBytes: 1e9, maxBytes: 2 ** 30 }) // 10_000_000
 * defaultReleaseBudget({ plaintextBytes: 5000, maxBytes: 2 ** 20 }) // 65_536
 */
export function defaultReleaseBudget(params: { plaintextBytes: number; maxBytes: number }): number {
  return Math.min(params.maxBytes, Math.max(RELEASE_BUDGET_FLOOR, Math.floor(params.plaintextBytes / RELEASE_BUDGET_DIVISOR)));
}

/**
 * The limits and output policy a job runs under: the environment's limits tightened by
 * every dataset's (the strictest wins); logs are released only as far as every dataset
 * allows; a file must match the patterns of every dataset; the leak guard runs if any
 * dataset asks for it, with the smallest threshold. The release budget is the smallest of
 * the datasets' own: the owner's `maxReleaseBytes`, or the default from that dataset's size
 * (capped by the job's `maxBytes`), so joining a small dataset with a large one releases no
 * more than the small one's owner allows. Unsafe formats (pickles) are allowed only when
 * every dataset's owner allows them.
 */
export function effectiveJobPolicy(env: Environment, views: AssetView[]): Pick<EngineJobSpec, 'limits' | 'output'> {
  const policies = views.map((v) => v.compute).filter((p): p is NonNullable<AssetView['compute']> => p !== undefined);
  const min = (base: number, pick: (p: (typeof policies)[number]) => number) => Math.min(base, ...policies.map(pick));
  const limits = {
    cpus: min(env.cpus, (p) => p.limits.cpus),
    memoryBytes: min(env.memoryBytes, (p) => p.limits.memoryBytes),
    timeoutSeconds: min(env.timeoutSeconds, (p) => p.limits.timeoutSeconds),
    pidsLimit: min(env.pidsLimit, (p) => p.limits.pidsLimit),
    outputBytes: min(env.outputBytes, (p) => p.limits.outputBytes),
  };
  let logs: 'none' | { tail: number } = policies.length === 0 ? 'none' : { tail: Number.MAX_SAFE_INTEGER };
  for (const p of policies) {
    if (p.output.logs === 'none' || logs === 'none') logs = 'none';
    else logs = { tail: Math.min(logs.tail, p.output.logs.tail) };
  }
  const [first, ...rest] = policies.map((p) => p.output.allowedPatterns);
  const allowedPatterns = (first ?? []).filter((pat) => rest.every((set) => set.includes(pat)));
  const guarded = policies.filter((p) => p.output.leakGuard.enabled);
  const maxBytes = min(env.outputBytes, (p) => p.output.maxBytes);
  const budgets = views.flatMap((v) => (v.compute ? [v.compute.output.maxReleaseBytes ?? defaultReleaseBudget({ plaintextBytes: v.content.size, maxBytes })] : []));
  return {
    limits,
    output: {
      maxBytes,
      maxReleaseBytes: budgets.length === 0 ? defaultReleaseBudget({ plaintextBytes: 0, maxBytes }) : Math.min(...budgets),
      allowedPatterns,
      logs,
      leakGuard: { enabled: guarded.length > 0, minRunBytes: Math.min(64, ...guarded.map((p) => p.output.leakGuard.minRunBytes)) },
      allowUnsafeFormats: policies.length > 0 && policies.every((p) => p.output.allowUnsafeFormats === true),
    },
  };
}
