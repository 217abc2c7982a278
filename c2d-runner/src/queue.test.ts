import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRunnerError } from './errors.js';
import { createJobQueue } from './queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('job queue', () => {
  it('starts jobs in the order they were queued, never more than the concurrency at once', async () => {
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred>>();
    let peak = 0;
    let now = 0;
    const q = createJobQueue({
      concurrency: 2,
      run: async (id) => {
        started.push(id);
        peak = Math.max(peak, ++now);
        const g = deferred();
        gates.set(id, g);
        await g.promise;
        now--;
      },
    });
    for (const id of ['a', 'b', 'c', 'd', 'e']) q.enqueue(id);
    await tick();
    assert.deepEqual(started, ['a', 'b']);
    gates.get('b')!.resolve();
    await tick();
    assert.deepEqual(started, ['a', 'b', 'c']);
    gates.get('a')!.resolve();
    gates.get('c')!.resolve();
    await tick();
    assert.deepEqual(started, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(peak, 2);
    assert.equal(q.running, 2);
  });

  it('refuses a job when the waiting list is full, and takes waiting jobs out on request', async () => {
    const gate = deferred();
    const started: string[] = [];
    const q = createJobQueue({
      concurrency: 1,
      limit: 2,
      run: async (id) => {
        started.push(id);
        await gate.promise;
      },
    });
    q.enqueue('a');
    await tick(); // a runs; the waiting list is empty again
    q.enqueue('b');
    q.enqueue('c');
    assert.throws(() => q.enqueue('d'), (err) => isRunnerError(err, 'QUEUE_FULL'));
    assert.equal(q.remove('b'), true);
    assert.equal(q.remove('b'), false);
    q.enqueue('d');
    assert.deepEqual(q.waiting, ['c', 'd']);
    gate.resolve();
    await tick();
    await tick();
    assert.deepEqual(started, ['a', 'c', 'd']);
  });

  it('keeps going after a job fails', async () => {
    const started: string[] = [];
    const q = createJobQueue({
      concurrency: 1,
      run: async (id) => {
        started.push(id);
        if (id === 'a') throw new Error('boom');
      },
    });
    q.enqueue('a');
    q.enqueue('b');
    await tick();
    await tick();
    assert.deepEqual(started, ['a', 'b']);
  });
});
