import type { DatabaseSync } from 'node:sqlite';
import { ProviderError } from '../errors.js';
import { inTransaction } from './database.js';

export const TERMINAL_STATUSES = ['succeeded', 'failed', 'timed_out', 'oom_killed', 'stopped', 'output_rejected', 'engine_error', 'rejected_by_owner'] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];
export const ACTIVE_STATUSES = ['queued', 'preparing', 'running', 'publishing'] as const;
export type ActiveStatus = (typeof ACTIVE_STATUSES)[number];
/**
 * Outputs collected, held by the provider until every reviewing owner releases them (then
 * `succeeded`) or one rejects them (`rejected_by_owner`). Not terminal for the buyer and no
 * receipt yet, but nothing runs: a restart keeps the job as it is.
 */
export const HELD_STATUSES = ['awaiting_release'] as const;
export type HeldStatus = (typeof HELD_STATUSES)[number];
export type JobStatus = ActiveStatus | HeldStatus | TerminalStatus;
export type ReceiptState = 'none' | 'pending' | 'posted' | 'failed';

export function isTerminal(status: string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** The largest nonce the database stores exactly (SQLite INTEGER is signed 64-bit). */
export const MAX_NONCE = 2n ** 63n - 1n;

export type OrderUse = { orderId: string; txHash: string; assetId: string; consumer: string; kind: 'compute' | 'access' };

export type JobRecord = {
  jobId: string;
  consumer: string;
  status: JobStatus;
  reason: string | null;
  environment: string;
  request: unknown;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  manifest: unknown;
  outputsHash: string | null;
  resultCid: string | null;
  resultKey: string | null;
  logs: string | null;
  receiptState: ReceiptState;
  receiptTx: string | null;
  /** The Merkle root of the batch that recorded the receipt (the receipt's leaf when posted alone). */
  receiptRoot: string | null;
  receiptBlock: number | null;
  receiptError: string | null;
  /** The OCI runtime the job ran under (`runsc`: gVisor), once the engine reported it. */
  runtime: JobRuntime | null;
};

/** The runner's runtimes (docs/runner.md, Runtimes). */
export type JobRuntime = 'runc' | 'runsc';

export type Transition = { status: JobStatus; reason: string | null; at: number };

/** Fields a job gains while it runs; status changes go through `transition`. */
export type JobPatch = Partial<
  Pick<JobRecord, 'startedAt' | 'finishedAt' | 'outputsHash' | 'resultCid' | 'resultKey' | 'logs' | 'receiptState' | 'receiptTx' | 'receiptRoot' | 'receiptBlock' | 'receiptError' | 'manifest' | 'runtime'>
>;

const COLUMNS: Record<keyof JobPatch, string> = {
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  outputsHash: 'outputs_hash',
  resultCid: 'result_cid',
  resultKey: 'result_key',
  logs: 'logs',
  receiptState: 'receipt_state',
  receiptTx: 'receipt_tx',
  receiptRoot: 'receipt_root',
  receiptBlock: 'receipt_block',
  receiptError: 'receipt_error',
  manifest: 'manifest_json',
  runtime: 'runtime',
};

type Row = Record<string, string | number | null>;

function toJob(r: Row): JobRecord {
  return {
    jobId: r.job_id as string,
    consumer: r.consumer as string,
    status: r.status as JobStatus,
    reason: r.reason as string | null,
    environment: r.environment as string,
    request: JSON.parse(r.request_json as string),
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
    startedAt: r.started_at as number | null,
    finishedAt: r.finished_at as number | null,
    manifest: r.manifest_json === null ? null : JSON.parse(r.manifest_json as string),
    outputsHash: r.outputs_hash as string | null,
    resultCid: r.result_cid as string | null,
    resultKey: r.result_key as string | null,
    logs: r.logs as string | null,
    receiptState: r.receipt_state as ReceiptState,
    receiptTx: r.receipt_tx as string | null,
    receiptRoot: (r.receipt_root ?? null) as string | null,
    receiptBlock: (r.receipt_block ?? null) as number | null,
    receiptError: r.receipt_error as string | null,
    runtime: (r.runtime ?? null) as JobRuntime | null,
  };
}

export type NewJob = { jobId: string; consumer: string; environment: string; request: unknown };

/**
 * The provider's persistent state over one SQLite database: nonces, order uses, jobs and
 * their append-only transitions. Every method is synchronous, so a call is atomic with
 * respect to the rest of the process; multi-row changes also run in one transaction.
 * @example
 * const store = createStore(openDatabase({ path: ':memory:' }));
 * store.accept({ address, nonce: 1n, orders, job });
 */
export function createStore(db: DatabaseSync, clock: () => number = Date.now) {
  const q = {
    nonce: db.prepare('SELECT nonce FROM nonces WHERE address = ?'),
    bumpNonce: db.prepare(
      `INSERT INTO nonces (address, nonce) VALUES (?1, ?2)
       ON CONFLICT(address) DO UPDATE SET nonce = excluded.nonce WHERE excluded.nonce > nonces.nonce`,
    ),
    orderUsed: db.prepare('SELECT order_id FROM order_uses WHERE order_id = ?'),
    insertOrder: db.prepare(
      'INSERT INTO order_uses (order_id, tx_hash, asset_id, consumer, kind, job_id, used_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    insertJob: db.prepare(
      `INSERT INTO jobs (job_id, consumer, status, environment, request_json, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?, ?, ?)`,
    ),
    insertTransition: db.prepare('INSERT INTO job_transitions (job_id, status, reason, at) VALUES (?, ?, ?, ?)'),
    job: db.prepare('SELECT * FROM jobs WHERE job_id = ?'),
    jobsByStatus: db.prepare('SELECT * FROM jobs WHERE status IN (SELECT value FROM json_each(?)) ORDER BY created_at, job_id'),
    pendingReceipts: db.prepare(`SELECT * FROM jobs WHERE receipt_state IN ('pending', 'failed') ORDER BY created_at`),
    countStatus: db.prepare('SELECT count(*) AS n FROM jobs WHERE status IN (SELECT value FROM json_each(?))'),
    transitions: db.prepare('SELECT status, reason, at FROM job_transitions WHERE job_id = ? ORDER BY seq'),
    setStatus: db.prepare('UPDATE jobs SET status = ?, reason = ?, updated_at = ? WHERE job_id = ?'),
    insertRelease: db.prepare('INSERT INTO job_releases (job_id, asset_id, owner, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    releasesOf: db.prepare('SELECT asset_id, owner, at FROM job_releases WHERE job_id = ? ORDER BY at, asset_id'),
    ordersOfJob: db.prepare('SELECT order_id, tx_hash, asset_id FROM order_uses WHERE job_id = ? ORDER BY rowid'),
  };
  q.nonce.setReadBigInts(true);

  function lastNonce(address: string): bigint | undefined {
    const row = q.nonce.get(address.toLowerCase()) as { nonce: bigint } | undefined;
    return row?.nonce;
  }

  return {
    lastNonce,

    /** Orders among `orderIds` already used. */
    usedOrders(orderIds: string[]): string[] {
      return orderIds.filter((id) => q.orderUsed.get(id.toLowerCase()) !== undefined);
    },

    /**
     * Atomically: raises `address`'s nonce to `nonce` (NONCE_REPLAYED unless greater than
     * the last), marks every order used (ORDER_ALREADY_USED if any already is) and, for a
     * compute request, records the job as queued. All or nothing.
     */
    accept(params: { address: string; nonce: bigint; orders: OrderUse[]; job?: NewJob }): void {
      const now = clock();
      const address = params.address.toLowerCase();
      if (params.nonce < 0n || params.nonce > MAX_NONCE) throw new ProviderError('VALIDATION', 'nonce out of range');
      inTransaction(db, () => {
        if (params.job) {
          const j = params.job;
          q.insertJob.run(j.jobId, j.consumer.toLowerCase(), j.environment, JSON.stringify(j.request), now, now);
          q.insertTransition.run(j.jobId, 'queued', null, now);
        }
        // Orders first: of several requests racing for one order, the losers learn why.
        for (const o of params.orders) {
          const r = q.insertOrder.run(o.orderId.toLowerCase(), o.txHash.toLowerCase(), o.assetId, o.consumer.toLowerCase(), o.kind, params.job?.jobId ?? null, now);
          if (r.changes === 0) throw new ProviderError('ORDER_ALREADY_USED', 'order already used', { details: { orderId: o.orderId } });
        }
        if (q.bumpNonce.run(address, params.nonce).changes === 0) {
          throw new ProviderError('NONCE_REPLAYED', 'nonce must be greater than the last one used', {
            details: { address, lastNonce: String(lastNonce(address)) },
          });
        }
      });
    },

    getJob(jobId: string): JobRecord | undefined {
      const row = q.job.get(jobId) as Row | undefined;
      return row && toJob(row);
    },

    transitions(jobId: string): Transition[] {
      return q.transitions.all(jobId) as Transition[];
    },

    ordersOfJob(jobId: string): { orderId: string; txHash: string; assetId: string }[] {
      return (q.ordersOfJob.all(jobId) as Row[]).map((r) => ({ orderId: r.order_id as string, txHash: r.tx_hash as string, assetId: r.asset_id as string }));
    },

    /** Moves a job to `status` (appending the transition) and applies `patch`, atomically. */
    transition(jobId: string, status: JobStatus, opts: { reason?: string; patch?: JobPatch } = {}): void {
      const now = clock();
      inTransaction(db, () => {
        const r = q.setStatus.run(status, opts.reason ?? null, now, jobId);
        if (r.changes === 0) throw new ProviderError('JOB_NOT_FOUND', 'no such job', { details: { jobId } });
        q.insertTransition.run(jobId, status, opts.reason ?? null, now);
        if (opts.patch) applyPatch(jobId, opts.patch, now);
      });
    },

    /** Applies `patch` without a status change. */
    update(jobId: string, patch: JobPatch): void {
      applyPatch(jobId, patch, clock());
    },

    listJobs(statuses: readonly JobStatus[]): JobRecord[] {
      return (q.jobsByStatus.all(JSON.stringify(statuses)) as Row[]).map(toJob);
    },

    countJobs(statuses: readonly JobStatus[]): number {
      return (q.countStatus.get(JSON.stringify(statuses)) as { n: number }).n;
    },

    /** Records that `owner` released the outputs of `jobId` for its dataset `assetId` (once per dataset). */
    recordRelease(params: { jobId: string; assetId: string; owner: string }): void {
      q.insertRelease.run(params.jobId, params.assetId, params.owner.toLowerCase(), clock());
    },

    /** The datasets of a job whose owners released its outputs so far. */
    releasesOf(jobId: string): { assetId: string; owner: string; at: number }[] {
      return (q.releasesOf.all(jobId) as Row[]).map((r) => ({ assetId: r.asset_id as string, owner: r.owner as string, at: r.at as number }));
    },

    /** Terminal jobs whose receipt is not on-chain yet. */
    pendingReceipts(): JobRecord[] {
      return (q.pendingReceipts.all() as Row[]).map(toJob);
    },
  };

  function applyPatch(jobId: string, patch: JobPatch, now: number): void {
    const keys = Object.keys(patch) as (keyof JobPatch)[];
    if (keys.length === 0) return;
    const sets = keys.map((k) => `${COLUMNS[k]} = ?`).join(', ');
    const values = keys.map((k) => (k === 'manifest' ? JSON.stringify(patch[k]) : (patch[k] as string | number | null)));
    db.prepare(`UPDATE jobs SET ${sets}, updated_at = ? WHERE job_id = ?`).run(...values, now, jobId);
  }
}

export type Store = ReturnType<typeof createStore>;
