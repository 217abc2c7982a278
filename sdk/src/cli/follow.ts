/**
 * Following a job, as `cove compute` (waiting) and `cove job --wait|--follow` do: its state
 * changes with the time since it was created, a ticking line on a terminal, the log tail once
 * the output policy releases it, then its receipt. Ctrl-C stops only the following: it says
 * how to find the job again and exits 130, and the job runs on at the provider.
 */
import { getJobLogs } from '../actions/compute/getJobLogs.js';
import { isTerminalStatus } from '../actions/compute/job.js';
import { waitForJob } from '../actions/compute/waitForJob.js';
import type { CoveClient } from '../client/index.js';
import type { JobStatusView } from '../provider-api/http.js';
import { describeError } from './output.js';
import { createJobView, formatDuration, paint, terminalOf } from './progress.js';

/** Stops the live view of the job being followed (the Ctrl-C handler restores the terminal with it). */
let stopLive: (() => void) | undefined;

/**
 * While following, Ctrl-C (SIGINT) stops only the following: it says how to find the job
 * again and exits 130; the job runs on at the provider (`cove stop <id>` stops it). Returns
 * the function that removes the handler.
 */
export function leaveJobOnInterrupt(json: boolean, jobId: string): () => void {
  const onInterrupt = () => {
    stopLive?.();
    const message = `job still running: cove job ${jobId} (interrupting cove does not stop it; cove stop ${jobId} does)`;
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'INTERRUPTED', message, details: { jobId } } })}\n`);
    else process.stderr.write(`\ncove: ${message}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  return () => void process.off('SIGINT', onInterrupt);
}

export type FollowParameters = {
  provider: string;
  jobId: string;
  json: boolean;
  /** Print the released log tail (stdout) once the job ends; `--follow`. */
  logs: boolean;
  /** Follow a job held for its owners' review until they decide (`--follow`), or return at `awaiting_release`. */
  untilReleased: boolean;
  /** State changes as plain lines on stderr where it is no terminal (`--follow`); else only on a terminal. */
  plainStatus: boolean;
  /** Removes a Ctrl-C handler the caller installed already (`leaveJobOnInterrupt`); default one is installed here. */
  release?: () => void;
};

export type FollowReturnType = { job: JobStatusView; logs: string | null };

/** The timeline of a job as lines `[0:03] running`: each transition not shown yet, then receipt changes. */
function timeline(color: boolean) {
  let shown = 0;
  let receipt = 'none';
  const stamp = (job: JobStatusView, at: number) => `[${formatDuration((at - job.createdAt) / 1000)}]`;
  const tint = (status: string) => (status === 'succeeded' ? paint(color, 'green', status) : isTerminalStatus(status) ? paint(color, 'red', status) : status);
  return (job: JobStatusView): string[] => {
    const lines = job.transitions.slice(shown).map((t) => `${stamp(job, t.at)} ${tint(t.status)}${t.reason ? ` (${t.reason})` : ''}`);
    shown = Math.max(shown, job.transitions.length);
    if (job.receipt.state !== receipt && job.receipt.state !== 'none') {
      receipt = job.receipt.state;
      lines.push(`${stamp(job, Date.now())} receipt ${receipt}${job.receipt.txHash ? ` ${job.receipt.txHash}` : ''}${job.receipt.error ? ` (${job.receipt.error})` : ''}`);
    }
    return lines;
  };
}

/** The released log tail, or null with a note on stderr when there is none to show. */
async function releasedLogs(cove: CoveClient, p: FollowParameters): Promise<string | null> {
  try {
    return (await getJobLogs(cove, { provider: p.provider, jobId: p.jobId })).logs;
  } catch (err) {
    const { code, message } = describeError(err);
    if (!p.json) process.stderr.write(code === 'LOGS_NOT_RELEASED' ? "cove: no logs: the datasets' output policy releases none\n" : `cove: no logs: ${code}: ${message}\n`);
    return null;
  }
}

/**
 * Follows a job until it ends (or awaits its owners' review, unless `untilReleased`) and its
 * receipt is settled on-chain; with `logs`, prints the released log tail on stdout between.
 */
export async function followJob(cove: CoveClient, p: FollowParameters): Promise<FollowReturnType> {
  const release = p.release ?? leaveJobOnInterrupt(p.json, p.jobId);
  const viewOpts = { enabled: !p.json, plainStatus: p.plainStatus };
  const lines = timeline(terminalOf(viewOpts).color);
  let view: ReturnType<typeof createJobView> | undefined;
  let latest: JobStatusView | undefined;
  // The job's age while it runs; once it has ended, how long it took.
  const elapsed = () => (latest === undefined ? 0 : ((isTerminalStatus(latest.status) ? latest.finishedAt : null) ?? Date.now()) - latest.createdAt) / 1000;
  const onProgress = (job: JobStatusView) => {
    latest = job;
    view ??= createJobView(p.jobId, { ...viewOpts, elapsed });
    const next = lines(job);
    if (next.length === 0) view.state(job.status);
    for (const line of next) view.state(job.status, line);
  };
  const stop = () => {
    view?.done();
    view = undefined;
  };
  stopLive = stop;
  const wait = (waitForReceipt: boolean) => waitForJob(cove, { provider: p.provider, jobId: p.jobId, waitForReceipt, untilReleased: p.untilReleased, onProgress });
  try {
    let job = await wait(false);
    let logs: string | null = null;
    if (p.logs && isTerminalStatus(job.status)) {
      stop();
      logs = await releasedLogs(cove, p);
      if (logs === '' && !p.json) process.stderr.write('cove: the job released no log lines\n');
      if (logs !== null && logs !== '' && !p.json) process.stdout.write(logs.endsWith('\n') ? logs : `${logs}\n`);
    }
    job = await wait(true);
    return { job, logs };
  } finally {
    stop();
    stopLive = undefined;
    release();
  }
}
