import { Worker } from 'node:worker_threads';
import type { applyOutputPolicy, guardFailedLogs, PolicyVerdict } from './output-policy.js';
import type { OutputManifest, TerminalState, TransitionInfo } from './types.js';

/**
 * The output check (`applyOutputPolicy`, `guardFailedLogs`) run in a worker thread, so the
 * leak guard's CPU-heavy input scan never stalls the embedding process's event loop (the
 * provider's HTTP endpoints), and bounded by a deadline: the job's own time budget.
 * See docs/runner.md, "Where the check runs".
 */

type PolicyParams = Parameters<typeof applyOutputPolicy>[0];
type LogsParams = Parameters<typeof guardFailedLogs>[0];
type LogsVerdict = Awaited<ReturnType<typeof guardFailedLogs>>;
type PolicySpec = PolicyParams['spec'];

/** A check's bounds: an absolute `deadline` (epoch ms, as `Date.now()`) and/or an AbortSignal. */
export type CheckBounds = { deadline?: number; signal?: AbortSignal };

/** What the main thread posts: the params without their signal, the spec cut to what the policy reads. */
export type CheckRequest =
  | { op: 'outputs'; params: Omit<PolicyParams, 'signal'> }
  | { op: 'logs'; params: Omit<LogsParams, 'signal'> };

type WireVerdict = { verdict: 'rejected'; reason: string } | { verdict: 'released'; manifest: OutputManifest; files: Array<[string, Uint8Array]> };

/** What the worker posts back; a failure carries a code only (a message may quote a path). */
export type CheckReply = { ok: true; op: 'outputs'; result: WireVerdict } | { ok: true; op: 'logs'; result: LogsVerdict } | { ok: false; code?: string };

/**
 * Why a check gave no verdict: `timeout` (the deadline passed; the worker was terminated),
 * `aborted` (the signal fired) or `failed` (the check threw or the worker died). The
 * message names the step and at most an error code, never a file name or content.
 */
export class OutputCheckError extends Error {
  override name = 'OutputCheckError';
  constructor(
    readonly kind: 'timeout' | 'aborted' | 'failed',
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './policy-worker.ts' : './policy-worker.js', import.meta.url);
/** Idle workers kept warm (a start costs ~150–250 ms under tsx) and how long they are kept. */
const IDLE_MAX = 2;
const IDLE_MS = 30_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

type Idle = { worker: Worker; timer: NodeJS.Timeout };
const idle: Idle[] = [];

function spawn(): Worker {
  // Workers inherit execArgv, so under `node --import tsx` or `tsx` the .ts entry loads as the main thread's does.
  const w = new Worker(WORKER_URL);
  // An idle worker that dies leaves the pool; a listener must exist so its 'error' never throws here.
  const drop = () => {
    const i = idle.findIndex((x) => x.worker === w);
    if (i >= 0) {
      clearTimeout(idle[i]!.timer);
      idle.splice(i, 1);
    }
  };
  w.on('error', drop);
  w.on('exit', drop);
  return w;
}

function acquire(): Worker {
  const slot = idle.pop();
  if (!slot) return spawn();
  clearTimeout(slot.timer);
  slot.worker.ref();
  return slot.worker;
}

function park(w: Worker): void {
  if (idle.length >= IDLE_MAX) {
    void w.terminate();
    return;
  }
  w.unref();
  const timer = setTimeout(() => void w.terminate(), IDLE_MS);
  timer.unref();
  idle.push({ worker: w, timer });
}

/** Terminates the idle workers (tests, shutdown); checks in flight are not affected. */
export async function closeOutputCheckWorkers(): Promise<void> {
  const all = idle.splice(0);
  await Promise.all(all.map((s) => (clearTimeout(s.timer), s.worker.terminate())));
}

const codeOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : undefined;
};
const failed = (code?: string) => new OutputCheckError('failed', `the output check failed${code ? ` (${code})` : ''}`, code);

function run(req: CheckRequest, bounds: CheckBounds): Promise<CheckReply & { ok: true }> {
  const { deadline, signal } = bounds;
  if (signal?.aborted) return Promise.reject(new OutputCheckError('aborted', 'the output check was stopped'));
  if (deadline !== undefined && Date.now() >= deadline) return Promise.reject(new OutputCheckError('timeout', 'the output check ran out of time'));
  const w = acquire();
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (then: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      then();
    };
    const kill = (err: OutputCheckError) =>
      settle(() => {
        void w.terminate();
        reject(err);
      });
    const onMessage = (m: CheckReply) =>
      settle(() => {
        if (m.ok) {
          park(w);
          resolve(m);
        } else {
          void w.terminate();
          reject(failed(m.code));
        }
      });
    const onError = (err: unknown) => kill(failed(codeOf(err) ?? 'WORKER_ERROR'));
    const onExit = (code: number) => kill(failed(`WORKER_EXIT_${code}`));
    const onAbort = () => kill(new OutputCheckError('aborted', 'the output check was stopped'));
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (deadline !== undefined) timer = setTimeout(() => kill(new OutputCheckError('timeout', 'the output check ran out of time')), Math.min(MAX_TIMER_MS, Math.max(0, deadline - Date.now())));
    w.postMessage(req);
  });
}

/** Only what the policy reads: the spec's other fields (algorithm bytes, env) need not cross. */
const policySpec = (spec: PolicySpec): PolicySpec => ({ inputs: spec.inputs, outputPolicy: spec.outputPolicy });

/**
 * `applyOutputPolicy` in a worker thread, within `bounds`: the same verdict (released files
 * moved back by transfer), or an `OutputCheckError` (`timeout`, `aborted`, `failed`), in
 * which case nothing is released.
 *
 * @example
 * const v = await checkOutputs({ outputsDir, spec, logs }, { deadline: startedAt + spec.limits.timeoutMs, signal })
 */
export async function checkOutputs(params: PolicyParams, bounds: CheckBounds = {}): Promise<PolicyVerdict> {
  const { signal, ...rest } = params;
  const reply = await run({ op: 'outputs', params: { ...rest, spec: policySpec(params.spec) } }, { ...bounds, ...(signal && !bounds.signal && { signal }) });
  if (reply.op !== 'outputs') throw failed('WORKER_PROTOCOL');
  const v = reply.result;
  if (v.verdict === 'rejected') return v;
  const files = new Map(v.files.map(([path, u]) => [path, Buffer.from(u.buffer, u.byteOffset, u.byteLength)]));
  return { verdict: 'released', outputs: { manifest: v.manifest, files } };
}

/**
 * `guardFailedLogs` in a worker thread, within `bounds`: `{ logs }` or `{ withheld }`, or an
 * `OutputCheckError` (the caller withholds the logs).
 *
 * @example
 * const g = await checkFailedLogs({ logs, spec, reason }, { deadline })
 */
export async function checkFailedLogs(params: LogsParams, bounds: CheckBounds = {}): Promise<LogsVerdict> {
  const { signal, ...rest } = params;
  const reply = await run({ op: 'logs', params: { ...rest, spec: policySpec(params.spec) } }, { ...bounds, ...(signal && !bounds.signal && { signal }) });
  if (reply.op !== 'logs') throw failed('WORKER_PROTOCOL');
  return reply.result;
}

/**
 * A job that did not succeed gets what remains of its time budget to check its log tail,
 * but at least this much: a timed-out job has none left, and its traceback is what the
 * buyer needs. Beyond it the logs are withheld.
 */
export const FAILED_LOGS_MIN_MS = 5_000;

/** The deadline of a failed job's log check: the end of its time budget, or `FAILED_LOGS_MIN_MS` from now if later. */
export const failedLogsDeadline = (startedAt: number, timeoutMs: number, now = Date.now()): number => Math.max(startedAt + timeoutMs, now + FAILED_LOGS_MIN_MS);

/** `logsWithheld` for a failed job's log check that gave no verdict. */
export const logsWithheldBy = (err: unknown): string =>
  err instanceof OutputCheckError && err.kind === 'timeout' ? 'logs could not be checked in time' : 'logs could not be checked';

/**
 * The terminal outcome of a collection whose check gave no verdict: nothing released.
 * `timeout` is `timed_out` (the check counts against the wall-clock limit), `aborted` is
 * `stopped`, anything else `engine_error` with a message that names no file.
 */
export function checkFailureOutcome(err: unknown, ctx: { timeoutMs: number; exitCode: number; logsPolicy: 'none' | object }): { state: TerminalState; info: TransitionInfo } {
  const kind = err instanceof OutputCheckError ? err.kind : 'failed';
  if (kind === 'aborted') return { state: 'stopped', info: { exitCode: ctx.exitCode } };
  if (kind === 'timeout') {
    return {
      state: 'timed_out',
      info: {
        exitCode: ctx.exitCode,
        reason: `wall-clock limit of ${ctx.timeoutMs} ms (reached while checking outputs)`,
        ...(ctx.logsPolicy !== 'none' && { logsWithheld: 'logs could not be checked in time' }),
      },
    };
  }
  const code = err instanceof OutputCheckError ? err.code : undefined;
  return { state: 'engine_error', info: { exitCode: ctx.exitCode, error: `the output check failed${code ? ` (${code})` : ''}; nothing was released` } };
}
