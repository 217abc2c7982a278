import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { ACTIVE_STATUSES, isTerminal, type JobPatch, type JobStatus, type Store, type TerminalStatus } from '../db/store.js';
import { ProviderError } from '../errors.js';
import { ReceiptRejectedError, type ChainPort, type CryptoPort, type EngineOutcome, type EnginePort, type StoragePort } from '../ports.js';
import type { InputCache } from './inputCache.js';
import { buildReceipt, JobFailure, prepareWorkspace, publishOutputs } from './jobSteps.js';
import { specOf, type JobAdmission, type StoredJobSpec } from './startCompute.js';

export type JobWorkerDeps = {
  store: Store;
  engine: EnginePort;
  storage: StoragePort;
  crypto: CryptoPort;
  chain: Pick<ChainPort, 'recordReceipt'>;
  /** Job workspaces live under `<workRoot>/<jobId>` and are removed once the job ends. */
  workRoot: string;
  /**
   * Result bundles of jobs awaiting their owners' release, `<reviewRoot>/<jobId>.tar`
   * (provider-private, kept across restarts); default `review/` beside `workRoot`.
   */
  reviewRoot?: string;
  concurrency: number;
  /** Jobs that may wait for a slot; one more is refused with QUEUE_FULL. */
  queueMax: number;
  maxCodeBytes: number;
  /** Decrypted inputs kept for later jobs on the same dataset (none: every job fetches and decrypts). */
  inputCache?: InputCache;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  clock?: () => number;
  receiptRetry?: { attempts: number; delayMs: number };
};

export type ReconcileReport = { adopted: string[]; requeued: string[]; failed: string[]; receipts: string[] };

type Active = { phase: 'preparing' | 'started' | 'adopted'; stopRequested: boolean; abort: AbortController };

/**
 * The job queue and lifecycle: runs at most `concurrency` jobs (prepare workspace →
 * container → publish outputs), records every transition, posts a receipt for every
 * terminal state (queued to the chain adapter, which may batch them; retried), and after a restart reconciles the database
 * with the containers the engine recovers.
 * @example
 * const worker = createJobWorker(deps);
 * await worker.reconcile();
 */
export function createJobWorker(deps: JobWorkerDeps) {
  const clock = deps.clock ?? Date.now;
  const retry = deps.receiptRetry ?? { attempts: 5, delayMs: 1000 };
  const reviewRoot = deps.reviewRoot ?? join(dirname(deps.workRoot), 'review');
  const heldBundle = (jobId: string) => join(reviewRoot, `${jobId}.tar`);
  const waiting: string[] = [];
  const active = new Map<string, Active>();
  const inflight = new Set<Promise<unknown>>();
  const receiptsInFlight = new Set<string>();
  let closed = false;

  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p)).catch(() => {});
    return p;
  };

  function finish(jobId: string, status: TerminalStatus, reason: string | undefined, patch: JobPatch = {}): void {
    if (closed) return; // the next start reconciles it
    const job = deps.store.getJob(jobId);
    if (!job || isTerminal(job.status)) return;
    deps.store.transition(jobId, status, { ...(reason ? { reason } : {}), patch: { finishedAt: clock(), ...patch, receiptState: 'pending' } });
    deps.logger.info({ jobId, status, reason }, 'job finished');
    postReceipt(jobId);
  }

  /**
   * Posts a job's receipt, retried on transient failures (not when ComputeReceipts refuses the receipt itself).
   * Jobs post independently: the chain adapter queues them and may record several in one batch.
   */
  function postReceipt(jobId: string): void {
    if (receiptsInFlight.has(jobId) || closed) return;
    receiptsInFlight.add(jobId);
    const run = (async () => {
      try {
        for (let attempt = 1; attempt <= retry.attempts && !closed; attempt++) {
          const job = deps.store.getJob(jobId);
          if (!job || job.receiptState === 'posted') return;
          try {
            const { txHash, root, blockNumber } = await deps.chain.recordReceipt(buildReceipt(job));
            deps.store.update(jobId, { receiptState: 'posted', receiptTx: txHash, receiptRoot: root, receiptBlock: blockNumber, receiptError: null });
            return;
          } catch (err) {
            if (closed) return; // still pending: the next start posts it
            deps.store.update(jobId, { receiptState: 'failed', receiptError: (err as Error).message.slice(0, 500) });
            if (err instanceof ReceiptRejectedError) {
              deps.logger.error({ jobId, err }, 'receipt refused by ComputeReceipts');
              return;
            }
            deps.logger.warn({ jobId, attempt, err }, 'receipt not posted');
            await new Promise((r) => setTimeout(r, retry.delayMs * attempt));
          }
        }
      } finally {
        receiptsInFlight.delete(jobId);
      }
    })();
    track(run);
  }

  async function follow(jobId: string, spec: StoredJobSpec, signal: AbortSignal): Promise<void> {
    const outcome: EngineOutcome = await deps.engine.wait(jobId);
    if (closed) return;
    const base: JobPatch = {
      finishedAt: outcome.finishedAt,
      startedAt: outcome.startedAt,
      ...(outcome.logs !== undefined ? { logs: outcome.logs } : {}),
      ...(outcome.runtime !== undefined ? { runtime: outcome.runtime } : {}),
    };
    // The runner hashes what it mounted: anything but the approved bundle is the provider's fault, never released.
    if (outcome.codeHash !== undefined && outcome.codeHash.toLowerCase() !== spec.request.algorithm.codeHash.toLowerCase()) {
      return finish(jobId, 'engine_error', 'the engine ran code other than the approved bundle', base);
    }
    if (outcome.status !== 'succeeded') return finish(jobId, outcome.status, outcome.reason, base);
    if (!outcome.manifest || !outcome.bundlePath) return finish(jobId, 'engine_error', 'engine reported success without outputs', base);
    if (needsReview(spec)) {
      // Kept out of the workspace (removed when the job ends) until the owners decide.
      await mkdir(reviewRoot, { recursive: true, mode: 0o700 });
      await copyFile(outcome.bundlePath, heldBundle(jobId));
      await chmod(heldBundle(jobId), 0o600);
      if (closed) return;
      deps.store.transition(jobId, 'awaiting_release', {
        reason: "outputs held for the datasets' owners to review",
        patch: { ...base, manifest: outcome.manifest, outputsHash: outcome.manifest.outputsHash },
      });
      deps.logger.info({ jobId }, 'job awaiting release');
      return;
    }
    deps.store.transition(jobId, 'publishing', { patch: { ...base, manifest: outcome.manifest, outputsHash: outcome.manifest.outputsHash } });
    const published = await publishOutputs(deps, { bundlePath: outcome.bundlePath, consumerX25519: spec.request.consumerX25519, signal });
    finish(jobId, 'succeeded', undefined, { ...published, finishedAt: outcome.finishedAt });
  }

  function held(jobId: string) {
    const job = deps.store.getJob(jobId);
    if (!job) throw new ProviderError('JOB_NOT_FOUND', 'no such job', { details: { jobId } });
    if (job.status !== 'awaiting_release') throw new ProviderError('JOB_NOT_AWAITING_RELEASE', 'the job is not awaiting release', { details: { jobId, status: job.status } });
    return job;
  }

  function failFromError(jobId: string, ctl: Active, err: unknown): void {
    if (err instanceof JobFailure) return finish(jobId, err.status, err.message);
    if (ctl.stopRequested) return finish(jobId, 'stopped', 'stopped by the consumer');
    deps.logger.error({ jobId, err }, 'job failed in the provider');
    finish(jobId, 'engine_error', `provider error: ${(err as Error).message ?? String(err)}`.slice(0, 500));
  }

  async function run(jobId: string, ctl: Active): Promise<void> {
    const workspace = join(deps.workRoot, jobId);
    try {
      const job = deps.store.getJob(jobId);
      if (!job || job.status !== 'queued') return;
      const spec = job.request as StoredJobSpec;
      deps.store.transition(jobId, 'preparing');
      const { algorithmFiles } = await prepareWorkspace(deps, { workspace, spec, signal: ctl.abort.signal });
      if (ctl.stopRequested) return finish(jobId, 'stopped', 'stopped by the consumer before it started');
      await deps.engine.start(
        {
          jobId,
          algorithm: specOf(spec.request),
          workspace,
          assetIds: spec.datasets.map((d) => d.assetId),
          algorithmFiles,
          limits: spec.limits,
          output: spec.output,
        },
        {
          signal: ctl.abort.signal,
          // Recorded when the container really runs: a crash before that leaves the job
          // 'preparing', which a restart requeues unless the engine recovers its container.
          onRunning: () => {
            const now = deps.store.getJob(jobId);
            if (now && !isTerminal(now.status)) deps.store.transition(jobId, 'running', { patch: { startedAt: clock() } });
          },
        },
      );
      ctl.phase = 'started';
      if (ctl.stopRequested) await deps.engine.stop(jobId);
      await follow(jobId, spec, ctl.abort.signal);
    } catch (err) {
      failFromError(jobId, ctl, err);
    } finally {
      active.delete(jobId);
      await rm(workspace, { recursive: true, force: true }).catch(() => {});
      pump();
    }
  }

  function pump(): void {
    while (!closed && active.size < deps.concurrency && waiting.length > 0) {
      const jobId = waiting.shift()!;
      const ctl: Active = { phase: 'preparing', stopRequested: false, abort: new AbortController() };
      active.set(jobId, ctl);
      track(run(jobId, ctl));
    }
  }

  const admission: JobAdmission = {
    // Room = a free slot (the job starts at once) or a free place in the waiting line.
    hasRoom: () => !closed && (active.size < deps.concurrency || waiting.length < deps.queueMax),
    enqueue(jobId) {
      waiting.push(jobId);
      pump();
    },
  };

  return {
    ...admission,

    /** Stops a job in any state; a queued job ends at once. Returns the status after the request. */
    async stop(jobId: string): Promise<JobStatus> {
      const job = deps.store.getJob(jobId);
      if (!job) throw new ProviderError('JOB_NOT_FOUND', 'no such job', { details: { jobId } });
      if (isTerminal(job.status)) return job.status;
      const i = waiting.indexOf(jobId);
      if (i >= 0) {
        waiting.splice(i, 1);
        finish(jobId, 'stopped', 'stopped by the consumer before it started');
      } else {
        const ctl = active.get(jobId);
        if (ctl) {
          ctl.stopRequested = true;
          if (ctl.phase === 'preparing') ctl.abort.abort(new Error('stopped by the consumer'));
          else await deps.engine.stop(jobId);
        }
      }
      return deps.store.getJob(jobId)!.status;
    },

    /**
     * After a start: adopts jobs whose container survived (following them to the end),
     * requeues jobs that never left the queue, fails the rest with engine_error and a
     * reason, and retries receipts not yet on-chain. A job never runs twice.
     */
    async reconcile(): Promise<ReconcileReport> {
      const report: ReconcileReport = { adopted: [], requeued: [], failed: [], receipts: [] };
      const recovered = new Set((await deps.engine.recover()).map((r) => r.jobId));
      const activeJobs = deps.store.listJobs(ACTIVE_STATUSES);
      const activeIds = new Set(activeJobs.map((j) => j.jobId));
      // A container of a job the database holds as finished (or not at all) is never collected twice.
      for (const id of recovered) if (!activeIds.has(id)) await deps.engine.discard(id);
      for (const job of activeJobs) {
        if (job.status === 'publishing' && existsSync(heldBundle(job.jobId))) {
          // A release cut short: the outputs are still held, so the owners may release again.
          deps.store.transition(job.jobId, 'awaiting_release', { reason: 'provider restarted while publishing the released outputs; still held' });
          continue;
        }
        if (recovered.has(job.jobId) && job.status !== 'publishing') {
          if (job.status !== 'running') deps.store.transition(job.jobId, 'running', { reason: 'container adopted after a provider restart', patch: { startedAt: job.startedAt ?? clock() } });
          const ctl: Active = { phase: 'adopted', stopRequested: false, abort: new AbortController() };
          active.set(job.jobId, ctl);
          const workspace = join(deps.workRoot, job.jobId);
          track(
            follow(job.jobId, job.request as StoredJobSpec, ctl.abort.signal)
              .catch((err) => failFromError(job.jobId, ctl, err))
              .finally(async () => {
                active.delete(job.jobId);
                await rm(workspace, { recursive: true, force: true }).catch(() => {});
                pump();
              }),
          );
          report.adopted.push(job.jobId);
          continue;
        }
        if (job.status === 'queued' || job.status === 'preparing') {
          // No container ever started for it, so running it now is its first and only run.
          if (job.status === 'preparing') deps.store.transition(job.jobId, 'queued', { reason: 'provider restarted while preparing the job; requeued' });
          waiting.push(job.jobId);
          report.requeued.push(job.jobId);
          continue;
        }
        const reason = {
          running: 'container not found after a provider restart',
          publishing: 'provider restarted while publishing the results',
        }[job.status as 'running' | 'publishing'];
        finish(job.jobId, 'engine_error', reason);
        await rm(join(deps.workRoot, job.jobId), { recursive: true, force: true }).catch(() => {});
        report.failed.push(job.jobId);
      }
      for (const job of deps.store.pendingReceipts()) {
        report.receipts.push(job.jobId);
        postReceipt(job.jobId);
      }
      pump();
      return report;
    },

    /** The held result bundle of a job awaiting release (a file only the provider reads). */
    heldBundle,

    /**
     * Publishes the held outputs of an `awaiting_release` job to its buyer exactly as they
     * were reviewed (the same bundle bytes), ends it `succeeded` and posts the receipt.
     * JOB_NOT_AWAITING_RELEASE unless the job is held. A failure leaves it held.
     */
    async release(jobId: string, options: { signal?: AbortSignal } = {}): Promise<JobStatus> {
      const job = held(jobId);
      deps.store.transition(jobId, 'publishing', { reason: "released by the datasets' owners" });
      let published;
      try {
        published = await publishOutputs(deps, { bundlePath: heldBundle(jobId), consumerX25519: (job.request as StoredJobSpec).request.consumerX25519, ...options });
      } catch (err) {
        deps.store.transition(jobId, 'awaiting_release', { reason: `publishing the released outputs failed; still held: ${(err as Error).message}`.slice(0, 500) });
        throw err;
      }
      finish(jobId, 'succeeded', undefined, { ...published, finishedAt: job.finishedAt ?? clock() });
      await rm(heldBundle(jobId), { force: true });
      return deps.store.getJob(jobId)!.status;
    },

    /**
     * Ends an `awaiting_release` job `rejected_by_owner`: the held outputs are deleted, its
     * manifest and logs are dropped so nothing reaches the buyer, and the receipt (zero
     * outputsHash, empty CID) is posted. JOB_NOT_AWAITING_RELEASE unless the job is held.
     */
    async reject(jobId: string, params: { assetId: string }): Promise<JobStatus> {
      const job = held(jobId);
      finish(jobId, 'rejected_by_owner', `outputs rejected by the owner of asset ${params.assetId}`, { finishedAt: job.finishedAt ?? clock(), manifest: null, outputsHash: null, logs: null });
      await rm(heldBundle(jobId), { force: true });
      return deps.store.getJob(jobId)!.status;
    },

    stats: () => ({ waiting: waiting.length, active: active.size }),

    /** Resolves once no job runs, none waits and no receipt is being posted. */
    async idle(): Promise<void> {
      while (inflight.size > 0 || waiting.length > 0) await Promise.race([...inflight, new Promise((r) => setTimeout(r, 20))]).catch(() => {});
    },

    /** Stops taking work; running containers keep running and are adopted on the next start. */
    close(): void {
      closed = true;
    },
  };
}

export type JobWorker = ReturnType<typeof createJobWorker>;

/** True when a dataset of the job asks its owner to review the outputs before release. */
export function needsReview(spec: Pick<StoredJobSpec, 'datasets'>): boolean {
  return spec.datasets.some((d) => d.review === true);
}
