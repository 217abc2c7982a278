import { RunnerError } from './errors.js';

export type JobQueue = {
  /** Adds a job at the back; throws `QUEUE_FULL` when `limit` jobs are already waiting. */
  enqueue(jobId: string): void;
  /** Takes a waiting job out of the queue; false when it is not waiting. */
  remove(jobId: string): boolean;
  readonly waiting: readonly string[];
  readonly running: number;
};

/**
 * A FIFO queue that runs at most `concurrency` jobs at once; waiting jobs start in the
 * order they were queued as running ones finish.
 *
 * @example
 * const q = createJobQueue({ concurrency: 2, limit: 100, run: (id) => runJob(id) })
 * q.enqueue('job-1')
 */
export function createJobQueue(params: { concurrency: number; limit?: number; run: (jobId: string) => Promise<void> }): JobQueue {
  if (!Number.isInteger(params.concurrency) || params.concurrency < 1) {
    throw new RunnerError('INVALID_SPEC', 'concurrency must be a positive integer', { details: { field: 'concurrency' } });
  }
  const waiting: string[] = [];
  let running = 0;

  const pump = () => {
    while (running < params.concurrency && waiting.length > 0) {
      const id = waiting.shift()!;
      running++;
      // run() owns its errors; the queue only needs to know when the slot frees up.
      void params
        .run(id)
        .catch(() => {})
        .finally(() => {
          running--;
          pump();
        });
    }
  };

  return {
    enqueue(jobId) {
      if (params.limit !== undefined && waiting.length >= params.limit) {
        throw new RunnerError('QUEUE_FULL', `the queue already holds ${params.limit} jobs`, { details: { limit: params.limit } });
      }
      waiting.push(jobId);
      queueMicrotask(pump);
    },
    remove(jobId) {
      const at = waiting.indexOf(jobId);
      if (at < 0) return false;
      waiting.splice(at, 1);
      return true;
    },
    get waiting() {
      return waiting;
    },
    get running() {
      return running;
    },
  };
}
