import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { createHttpServer, openFileLimit, type HttpServerLimits } from './server.js';

const LIMITS: HttpServerLimits = { maxConnections: 40, maxConnectionsPerAddress: 10, headersTimeoutMs: 600, requestTimeoutMs: 2000, keepAliveTimeoutMs: 500 };

async function start(limits: Partial<HttpServerLimits> = {}) {
  const server = createHttpServer((_req, res) => void res.end('ok'), { ...LIMITS, ...limits }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () => (server.closeAllConnections(), new Promise((r) => server.close(r))),
  };
}

/** Opens a socket that never sends a byte; resolves once it is connected (or already closed). */
function idle(port: number, localAddress: string): Promise<{ socket: Socket; closedAt: Promise<number> }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    const closedAt = new Promise<number>((r) => socket.once('close', () => r(Date.now())));
    socket.on('error', () => {});
    socket.resume();
    socket.once('connect', () => resolve({ socket, closedAt }));
    socket.once('close', () => resolve({ socket, closedAt }));
  });
}

function get(port: number, localAddress = '127.0.0.1'): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ port, host: '127.0.0.1', localAddress, path: '/', agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode!));
    });
    req.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    req.end();
  });
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open = (sockets: { socket: Socket }[]) => sockets.filter((s) => !s.socket.destroyed && s.socket.readyState === 'open').length;

describe('createHttpServer', () => {
  it('closes a connection that never sends a byte after headersTimeout (Node alone would keep it)', async () => {
    const s = await start();
    try {
      const t0 = Date.now();
      const c = await idle(s.port, '127.0.0.1');
      const closed = await Promise.race([c.closedAt, settle(3000).then(() => undefined)]);
      assert.ok(closed !== undefined, 'the idle socket was closed');
      assert.ok(closed - t0 >= 500, `not before the deadline (${closed - t0} ms)`);
    } finally {
      await s.close();
    }
  });

  it('keeps a connection that sends a request past the first deadline open for its keep-alive time only', async () => {
    const s = await start({ keepAliveTimeoutMs: 1500 });
    try {
      const socket = connect({ port: s.port, host: '127.0.0.1' });
      await new Promise((r) => socket.once('connect', r));
      const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now())));
      socket.resume();
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const answered = Date.now();
      await settle(1000);
      assert.equal(socket.destroyed, false, 'still open after the first-request deadline: it sent one');
      assert.ok((await closed) - answered < 3000, 'closed by the keep-alive timeout');
    } finally {
      await s.close();
    }
  });

  it('caps connections per source address; others are still served, never with a 500', async () => {
    const s = await start();
    try {
      const flood = await Promise.all(Array.from({ length: 30 }, () => idle(s.port, '127.0.0.2')));
      await settle(100);
      assert.equal(open(flood), 10, 'only the per-address share stays open');
      assert.equal(await get(s.port), 200);
      assert.equal(await get(s.port, '127.0.0.2'), 'ECONNRESET', 'the flooding address gets no more');
      await Promise.all(flood.map((f) => f.closedAt));
      assert.equal(await get(s.port, '127.0.0.2'), 200, 'served again once its sockets are gone');
    } finally {
      await s.close();
    }
  });

  it('caps connections in all (closing new ones), and serves again once they are gone', async () => {
    const s = await start({ maxConnections: 15 });
    try {
      const flood = (await Promise.all([2, 3].map((n) => Promise.all(Array.from({ length: 10 }, () => idle(s.port, `127.0.0.${n}`)))))).flat();
      await settle(100);
      assert.equal(open(flood), 15);
      assert.notEqual(await get(s.port), 500);
      for (const f of flood) f.socket.destroy();
      await settle(100);
      assert.equal(await get(s.port), 200);
    } finally {
      await s.close();
    }
  });

  it('reads the open file limit on Linux', () => {
    const n = openFileLimit();
    if (process.platform === 'linux') assert.ok(typeof n === 'number' && n > 0);
  });
});
