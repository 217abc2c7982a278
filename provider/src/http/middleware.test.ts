import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import express from 'express';
import { pino } from 'pino';
import { isProviderError } from '../errors.js';
import { createRateLimiter, errorHandler, requestLogger } from './middleware.js';

async function serve(app: express.Express) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

describe('rate limiter', () => {
  it('limits the route by source address only: what a body claims takes no one else’s tokens', async () => {
    const limiter = createRateLimiter({ ratePerSecond: 0.001, burst: 2 });
    const app = express();
    app.use(express.json());
    app.post('/x', limiter.middleware(), (_req, res) => void res.json({ ok: true }));
    app.use(errorHandler());
    const s = await serve(app);
    try {
      const victim = '0x' + '11'.repeat(20);
      const post = (consumer: string) => fetch(s.url + '/x', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ request: { consumer } }) });
      assert.deepEqual([(await post(victim)).status, (await post('0x' + '22'.repeat(20))).status, (await post('0x' + '33'.repeat(20))).status], [200, 200, 429]);
      assert.equal(limiter.take(`signer:${victim}`), true, 'the named consumer’s bucket is untouched');
    } finally {
      await s.close();
    }
  });

  it('admitSigner spends the verified signer’s own bucket (case-insensitive), then throws RATE_LIMITED', () => {
    let now = 0;
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 2, clock: () => now });
    const a = '0x' + 'aa'.repeat(20);
    limiter.admitSigner(a);
    limiter.admitSigner(a.toUpperCase().replace('0X', '0x'));
    assert.throws(() => limiter.admitSigner(a), (e) => isProviderError(e, 'RATE_LIMITED') && e.status === 429);
    limiter.admitSigner('0x' + 'bb'.repeat(20));
    now += 1000;
    limiter.admitSigner(a);
  });
});

describe('requestLogger', () => {
  it('logs credential headers as [Redacted]: no JobAccess signature, authorization or cookie reaches the log', async () => {
    const SIGNATURE = '0x' + 'ab'.repeat(65);
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const app = express();
    app.use(requestLogger(pino({ level: 'info' }, sink)));
    app.get('/v1/compute/:id', (req, res) => void res.status(404).json({ seen: req.headers['x-cove-signature'] === SIGNATURE }));
    const s = await serve(app);
    try {
      const r = await fetch(s.url + '/v1/compute/0x01', {
        headers: { 'x-cove-signature': SIGNATURE, 'x-cove-expiry': '1999999999', authorization: 'Bearer s3cret-token', cookie: 'session=s3cret-cookie', 'x-request-id': 'redact-1' },
      });
      assert.equal((await r.json() as { seen: boolean }).seen, true, 'the handler still sees the real header');
    } finally {
      await s.close();
    }
    const log = lines.join('');
    assert.match(log, /redact-1/);
    assert.match(log, /"x-cove-signature":"\[Redacted\]"/);
    assert.match(log, /"x-cove-expiry":"1999999999"/, 'other headers are kept');
    for (const secret of [SIGNATURE, 'ab'.repeat(65), 's3cret-token', 's3cret-cookie']) assert.equal(log.includes(secret), false, `${secret.slice(0, 12)}… is not logged`);
  });
});
