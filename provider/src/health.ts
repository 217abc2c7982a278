/**
 * `GET /v1/health`: each dependency the provider needs — the chain (orders, receipts), its
 * IPFS node (documents, datasets, results) and Docker (jobs) — probed on its own, with a
 * deadline, so a load balancer or an operator sees which one is down.
 */

import type { z } from 'zod';
import type { DependencyHealth as DependencySchema, HealthResponse } from './http/schemas.js';

/** What one probe found: `ok` with its facts, or `down` with why. */
export type DependencyHealth = z.infer<typeof DependencySchema>;
/** The body of `/v1/health` (see `HealthResponse`). */
export type HealthReport = z.infer<typeof HealthResponse>;

/** A probe resolves with facts to report (block number, peer count…) or rejects with the reason. */
export type HealthProbe = () => Promise<Record<string, unknown>>;

export type HealthCheckParameters = {
  probes: Record<string, HealthProbe>;
  jobs: () => { waiting: number; active: number };
  /** Each probe's deadline (default 2 s). */
  timeoutMs?: number;
  /** A report is reused this long, so a flood of health requests probes once (default 1 s). */
  cacheMs?: number;
  clock?: () => number;
};

async function probeOne(probe: HealthProbe, timeoutMs: number, clock: () => number): Promise<DependencyHealth> {
  const started = clock();
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const facts = await Promise.race([probe(), deadline]);
    return { ...facts, status: 'ok', latencyMs: clock() - started };
  } catch (err) {
    const e = err as { shortMessage?: string; message?: string; code?: unknown };
    const message = e.shortMessage ?? e.message ?? String(err);
    return { status: 'down', latencyMs: clock() - started, error: typeof e.code === 'string' && !message.includes(e.code) ? `${e.code}: ${message}` : message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The health check: all probes at once, each with its deadline; concurrent callers share one
 * run, and a report is reused for `cacheMs` (the job counts are always current).
 * @example
 * const health = createHealthCheck({ probes: { docker: async () => (await docker.ping(), {}) }, jobs: () => worker.stats() });
 * const report = await health();
 */
export function createHealthCheck(params: HealthCheckParameters): () => Promise<HealthReport> {
  const timeoutMs = params.timeoutMs ?? 2_000;
  const cacheMs = params.cacheMs ?? 1_000;
  const clock = params.clock ?? Date.now;
  let last: { at: number; dependencies: Promise<Record<string, DependencyHealth>> } | undefined;
  return async () => {
    if (last === undefined || clock() - last.at >= cacheMs) {
      const names = Object.keys(params.probes);
      const at = clock();
      last = {
        at,
        dependencies: Promise.all(names.map((n) => probeOne(params.probes[n]!, timeoutMs, clock))).then((r) => {
          // The cache runs from when the answer came, so a slow probe is not repeated at once.
          if (last?.at === at) last.at = clock();
          return Object.fromEntries(names.map((n, i) => [n, r[i]!]));
        }),
      };
    }
    const dependencies = await last.dependencies;
    const ok = Object.values(dependencies).every((d) => d.status === 'ok');
    return { status: ok ? 'ok' : 'unavailable', dependencies, jobs: params.jobs() };
  };
}
