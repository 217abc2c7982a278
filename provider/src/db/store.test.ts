import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isProviderError } from '../errors.js';
import { openDatabase } from './database.js';
import { createStore, type OrderUse } from './store.js';

const alice = '0x00000000000000000000000000000000000000A1';
const order = (n: number): OrderUse => ({ orderId: `0x${String(n).padStart(64, '0')}`, txHash: `0x${String(n).padStart(64, 'f')}`, assetId: String(n), consumer: alice, kind: 'compute' });
const job = (id: string) => ({ jobId: id, consumer: alice, environment: 'default', request: { id } });

function memStore() {
  return createStore(openDatabase({ path: ':memory:' }));
}

describe('store: nonces', () => {
  it('accepts strictly increasing nonces per address and rejects a replay or a smaller one', () => {
    const s = memStore();
    s.accept({ address: alice, nonce: 5n, orders: [] });
    assert.equal(s.lastNonce(alice), 5n);
    assert.throws(() => s.accept({ address: alice, nonce: 5n, orders: [] }), (e) => isProviderError(e, 'NONCE_REPLAYED'));
    assert.throws(() => s.accept({ address: alice, nonce: 4n, orders: [] }), (e) => isProviderError(e, 'NONCE_REPLAYED'));
    s.accept({ address: alice.toLowerCase(), nonce: 6n, orders: [] });
    assert.equal(s.lastNonce(alice), 6n);
  });

  it('keeps nonces of different addresses apart and stores 63-bit values exactly', () => {
    const s = memStore();
    s.accept({ address: alice, nonce: 2n ** 62n + 1n, orders: [] });
    s.accept({ address: '0x00000000000000000000000000000000000000b0', nonce: 1n, orders: [] });
    assert.equal(s.lastNonce(alice), 2n ** 62n + 1n);
    assert.throws(() => s.accept({ address: alice, nonce: 2n ** 63n, orders: [] }), (e) => isProviderError(e, 'VALIDATION'));
  });
});

describe('store: orders and jobs', () => {
  it('uses an order at most once and records the queued job with its first transition', () => {
    const s = memStore();
    s.accept({ address: alice, nonce: 1n, orders: [order(1)], job: job('j1') });
    assert.throws(() => s.accept({ address: alice, nonce: 2n, orders: [order(1)], job: job('j2') }), (e) => isProviderError(e, 'ORDER_ALREADY_USED'));
    assert.equal(s.getJob('j1')?.status, 'queued');
    assert.deepEqual(s.transitions('j1').map((t) => t.status), ['queued']);
    assert.deepEqual(s.usedOrders([order(1).orderId, order(2).orderId]), [order(1).orderId]);
  });

  it('changes nothing when any order of a multi-order request was already used', () => {
    const s = memStore();
    s.accept({ address: alice, nonce: 1n, orders: [order(2)], job: job('j1') });
    assert.throws(() => s.accept({ address: alice, nonce: 2n, orders: [order(3), order(2)], job: job('j2') }), (e) => isProviderError(e, 'ORDER_ALREADY_USED'));
    assert.equal(s.getJob('j2'), undefined);
    assert.deepEqual(s.usedOrders([order(3).orderId]), []);
    assert.equal(s.lastNonce(alice), 1n, 'the nonce bump is rolled back too');
  });

  it('appends every transition and refuses to rewrite history', () => {
    const db = openDatabase({ path: ':memory:' });
    const s = createStore(db);
    s.accept({ address: alice, nonce: 1n, orders: [order(1)], job: job('j1') });
    s.transition('j1', 'preparing');
    s.transition('j1', 'running', { patch: { startedAt: 10 } });
    s.transition('j1', 'failed', { reason: 'exit code 1', patch: { finishedAt: 20, receiptState: 'pending' } });
    assert.deepEqual(s.transitions('j1').map((t) => [t.status, t.reason]), [['queued', null], ['preparing', null], ['running', null], ['failed', 'exit code 1']]);
    const j = s.getJob('j1')!;
    assert.equal(j.reason, 'exit code 1');
    assert.equal(j.startedAt, 10);
    assert.deepEqual(s.pendingReceipts().map((x) => x.jobId), ['j1']);
    assert.throws(() => db.exec("UPDATE job_transitions SET status = 'succeeded'"), /append-only/);
    assert.throws(() => db.exec('DELETE FROM job_transitions'), /append-only/);
  });

  it('reports JOB_NOT_FOUND for a transition of an unknown job', () => {
    assert.throws(() => memStore().transition('nope', 'running'), (e) => isProviderError(e, 'JOB_NOT_FOUND'));
  });

  it('keeps everything across a reopen of the same file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cove-store-'));
    try {
      const path = join(dir, 'p.db');
      const db1 = openDatabase({ path });
      const s1 = createStore(db1);
      s1.accept({ address: alice, nonce: 9n, orders: [order(7)], job: job('j7') });
      s1.transition('j7', 'running');
      db1.close();
      const s2 = createStore(openDatabase({ path }));
      assert.equal(s2.getJob('j7')?.status, 'running');
      assert.equal(s2.lastNonce(alice), 9n);
      assert.deepEqual(s2.listJobs(['running']).map((j) => j.jobId), ['j7']);
      assert.deepEqual(s2.ordersOfJob('j7').map((o) => o.assetId), ['7']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
