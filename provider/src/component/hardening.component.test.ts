/**
 * The provider against a hostile buyer, as a child process (`main.ts`, the real process entry
 * with its crash guard) under `ulimit -n 1024`: rate limits that cannot be aimed at someone
 * else, a pin endpoint that is no port scanner, bearer tokens kept out of the log, a private
 * data directory, and connection floods. After every attack the provider is alive and healthy.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, readdir, readlink, stat, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PIN_REQUEST_TYPES, providerDomain } from '@cove/sdk';
import { createWorld, type World } from './world.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const FD_LIMIT = 1024;
const PER_ADDRESS = 50;
const HEADERS_TIMEOUT_MS = 1000;
const SIGNER_BURST = 5;
const ADDRESS_BURST = 100;

let w: World;
let child: ChildProcess;
let url: string;
let port: number;
let address: string;
let dataDir: string;
const stdout: string[] = [];
let nonce = 1n;

/** Starts `main.ts` with `env` under a file descriptor limit; resolves on its `listening` line. */
function spawnLimited(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; address: string }> {
  const c = spawn('/bin/sh', ['-c', `ulimit -n ${FD_LIMIT} && exec "$@"`, 'sh', process.execPath, '--import', 'tsx', MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  c.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-20_000)));
  let pending = '';
  c.stdout!.on('data', (b: Buffer) => {
    const parts = (pending + b.toString()).split('\n');
    pending = parts.pop()!;
    stdout.push(...parts);
  });
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const line = stdout.find((l) => l.startsWith('{"event":"listening"'));
      if (!line) return;
      clearInterval(poll);
      resolve({ child: c, ...(JSON.parse(line) as { url: string; address: string }) });
    }, 50);
    c.once('exit', (code) => (clearInterval(poll), reject(new Error(`provider exited (${code}): ${err.slice(-2000)}`))));
  });
}

type Answer = { status: number | string; body: any };

/** One HTTP request from `localAddress` (a second loopback address keeps a flood apart from the victim). */
function call(p: { method?: string; path: string; body?: unknown; headers?: Record<string, string>; localAddress?: string; agent?: Agent }): Promise<Answer> {
  const data = p.body === undefined ? undefined : Buffer.from(JSON.stringify(p.body));
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: p.path, method: p.method ?? (data ? 'POST' : 'GET'), localAddress: p.localAddress ?? '127.0.0.1', agent: p.agent ?? false, headers: { ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}), ...p.headers } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode!, body });
        });
      },
    );
    req.once('error', (e: NodeJS.ErrnoException) => resolve({ status: e.code ?? 'error', body: undefined }));
    req.end(data);
  });
}

const bogusOrder = () => '0x' + randomBytes(32).toString('hex');
function downloadRequest(consumer: string) {
  return {
    consumer,
    datasets: [{ assetId: '1', serviceId: '1', orderTxHash: bogusOrder() }],
    consumerX25519: '0x' + Buffer.from(w.buyerKeys.publicKey).toString('hex'),
    nonce: String(nonce++),
    expiry: Math.floor(Date.now() / 1000) + 600,
  };
}
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The provider process's open file descriptors, and how many of them are sockets (Linux). */
async function fds(pid: number): Promise<{ all: number; sockets: number }> {
  const names = await readdir(`/proc/${pid}/fd`);
  const links = await Promise.all(names.map((n) => readlink(`/proc/${pid}/fd/${n}`).catch(() => '')));
  return { all: names.length, sockets: links.filter((l) => l.startsWith('socket:')).length };
}

before(async () => {
  w = await createWorld();
  // A data directory a careless operator left world-readable, with a database and an IPFS repo.
  dataDir = join(w.dir, 'hardened');
  await mkdir(join(dataDir, 'ipfs'), { recursive: true });
  await writeFile(join(dataDir, 'provider.db'), '');
  await writeFile(join(dataDir, 'ipfs', 'stale.data'), 'x');
  for (const [p, m] of [[dataDir, 0o755], [join(dataDir, 'ipfs'), 0o755], [join(dataDir, 'provider.db'), 0o644], [join(dataDir, 'ipfs', 'stale.data'), 0o644]] as const) await chmod(p, m);
  const started = await spawnLimited(
    w.providerEnv({
      COVE_PROVIDER_DATA_DIR: dataDir,
      COVE_LOG_LEVEL: 'info',
      COVE_PIN_ALLOW_PRIVATE_ADDRESSES: 'false',
      // Per address: 100 requests, barely refilled. Before the fix the consumer a request named shared these
      // numbers, so junk from another address emptied the victim's bucket; a signer's own bucket is smaller.
      COVE_RATE_LIMIT_PER_SECOND: '1',
      COVE_RATE_LIMIT_BURST: String(ADDRESS_BURST),
      COVE_SIGNER_RATE_LIMIT_PER_SECOND: '1',
      COVE_SIGNER_RATE_LIMIT_BURST: String(SIGNER_BURST),
      COVE_HTTP_MAX_CONNECTIONS: '400',
      COVE_HTTP_MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
      COVE_HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      COVE_HTTP_REQUEST_TIMEOUT_MS: '5000',
      COVE_HTTP_KEEP_ALIVE_TIMEOUT_MS: '2000',
    }),
  );
  ({ child, url, address } = started);
  port = Number(new URL(url).port);
});

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, settle(15_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  await w?.close();
});

afterEach(async () => {
  assert.equal(child.exitCode, null, 'the provider process is alive');
  const h = await call({ path: '/v1/health' });
  assert.equal(h.status, 200, JSON.stringify(h.body));
});

describe('provider hardening against a hostile buyer (child process, ulimit -n 1024)', () => {
  it('rate limits cannot be aimed at a victim: 200 unsigned or forged requests naming them (from 127.0.0.2) leave their signed request unlimited', async () => {
    const victim = w.buyer.address;
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const junk = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const request = downloadRequest(victim);
          const signature = i % 2 === 0 ? '0x' + randomBytes(65).toString('hex') : await w.signDownload(address, request, w.stranger);
          return call({ path: '/v1/download', body: { request, signature }, localAddress: '127.0.0.2', agent });
        }),
      );
      assert.ok(junk.every((r) => r.status !== 500), 'no junk answered 500');
      const codes = junk.map((r) => r.body?.error?.code);
      assert.ok(codes.filter((c) => c === 'SIGNATURE_INVALID').length >= ADDRESS_BURST - 5, 'the junk within its address’s bucket reached signature verification');
      assert.ok(codes.filter((c) => c === 'RATE_LIMITED').length >= 200 - ADDRESS_BURST - 5, 'the rest was limited by source address');
    } finally {
      agent.destroy();
    }
    const request = downloadRequest(victim);
    const r = await call({ path: '/v1/download', body: { request, signature: await w.signDownload(address, request) } });
    assert.notEqual(r.body?.error?.code, 'RATE_LIMITED', JSON.stringify(r.body));
    assert.ok(typeof r.status === 'number' && r.status < 500, JSON.stringify(r.body));
  });

  it('a signer sending too many validly signed requests is limited (429 RATE_LIMITED), by signer', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < SIGNER_BURST + 5; i++) {
      const request = downloadRequest(w.stranger.address);
      answers.push(await call({ path: '/v1/download', body: { request, signature: await w.signDownload(address, request, w.stranger) } }));
    }
    const codes = answers.map((a) => a.body?.error?.code);
    assert.ok(codes.slice(0, SIGNER_BURST).every((c) => c !== 'RATE_LIMITED'), codes.join(','));
    assert.ok(codes.includes('RATE_LIMITED'), codes.join(','));
    assert.equal(answers.find((a) => a.body?.error?.code === 'RATE_LIMITED')!.status, 429);
  });

  it('POST /v1/pin refuses loopback, private and local-name `from` addresses with 403 PIN_ADDRESS_REFUSED and dials none of them', async () => {
    const dials: Socket[] = [];
    const listener: Server = createServer((s) => (dials.push(s), s.destroy()));
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const lport = (listener.address() as AddressInfo).port;
    try {
      const cid = await w.client.add([Buffer.from('pin me')]);
      const request = {
        publisher: w.publisher.address,
        cids: [cid],
        from: [`/ip4/127.0.0.1/tcp/${lport}`, `/dns4/localhost/tcp/${lport}`, `/ip4/10.0.0.1/tcp/${lport}`, `/ip4/169.254.169.254/tcp/80`, `/ip6/::1/tcp/${lport}`, ...w.client.multiaddrs()].slice(0, 8),
        nonce: String(nonce++),
        expiry: Math.floor(Date.now() / 1000) + 600,
      };
      const signature = await w.publisher.signTypedData(providerDomain({ chainId: w.cove.chainId, provider: address }), PIN_REQUEST_TYPES, request);
      const r = await call({ path: '/v1/pin', body: { request, signature } });
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'PIN_ADDRESS_REFUSED');
      assert.equal(r.body.error.details.refused.length, request.from.length);
      await settle(500);
      assert.equal(dials.length, 0, 'nothing was dialed');
    } finally {
      listener.close();
    }
  });

  it('JobAccess signatures (bearer tokens), authorization and cookie headers never reach the request log', async () => {
    const jobId = '0x' + randomBytes(32).toString('hex');
    const headers = await w.accessHeaders(address, jobId);
    const requestId = `redaction-${randomUUID()}`;
    const r = await call({ path: `/v1/compute/${jobId}`, headers: { ...headers, authorization: 'Bearer hostile-secret', cookie: 'sid=hostile-cookie', 'x-request-id': requestId } });
    assert.ok(typeof r.status === 'number' && r.status < 500, JSON.stringify(r.body));
    for (let i = 0; i < 40 && !stdout.some((l) => l.includes(requestId)); i++) await settle(50);
    const line = stdout.find((l) => l.includes(requestId));
    assert.ok(line, 'the request was logged');
    assert.match(line, /"x-cove-signature":"\[Redacted\]"/);
    const log = stdout.join('\n');
    for (const secret of [headers['x-cove-signature'], headers['x-cove-signature'].slice(2), 'hostile-secret', 'hostile-cookie']) assert.equal(log.includes(secret), false, 'a secret is in the log');
  });

  it('the data directory is 0700 and the database files and IPFS repository (node key included) are owner-only', async () => {
    const mode = async (p: string) => ((await stat(p)).mode & 0o777).toString(8);
    assert.equal(await mode(dataDir), '700');
    for (const f of ['provider.db', 'provider.db-wal', 'provider.db-shm', 'x25519.json']) assert.equal(await mode(join(dataDir, f)), '600', f);
    for (const d of ['ipfs', 'ipfs/datastore', 'ipfs/datastore/pkcs8', 'ipfs/blocks']) assert.equal(await mode(join(dataDir, d)), '700', d);
    for (const f of ['ipfs/datastore/pkcs8/self.data', 'ipfs/stale.data']) assert.equal(await mode(join(dataDir, f)), '600', f);
  });

  it('1,100 idle sockets from one address neither exhaust file descriptors nor cost anyone else a 500; they are closed, and that address is served again', async () => {
    const baseline = await fds(child.pid!);
    const t0 = Date.now();
    // Sample the provider's own descriptors for as long as the flood lasts: the caps hold server-side at every moment.
    const samples: { all: number; sockets: number }[] = [];
    let flooding = true;
    const sampler = (async () => {
      while (flooding) (samples.push(await fds(child.pid!)), await settle(20));
    })();
    const sockets = await Promise.all(
      Array.from(
        { length: 1100 },
        () =>
          new Promise<{ s: Socket; closed: Promise<number> }>((resolve) => {
            const s = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
            const closed = new Promise<number>((r) => s.once('close', () => r(Date.now())));
            s.on('error', () => {});
            s.resume();
            s.once('connect', () => resolve({ s, closed }));
            s.once('close', () => resolve({ s, closed }));
          }),
      ),
    );
    await settle(200);
    flooding = false;
    await sampler;
    const most = Math.max(...samples.map((x) => x.sockets));
    assert.ok(most <= baseline.sockets + PER_ADDRESS + 20, `the provider held at most ${most} sockets (${baseline.sockets} before the flood, per-address cap ${PER_ADDRESS})`);
    assert.ok(Math.max(...samples.map((x) => x.all)) < FD_LIMIT - 200, 'file descriptors stayed far from the limit');

    const health = await call({ path: '/v1/health' });
    assert.equal(health.status, 200, JSON.stringify(health.body));
    const request = downloadRequest(w.buyer.address);
    const signed = await call({ path: '/v1/download', body: { request, signature: await w.signDownload(address, request) } });
    assert.ok(typeof signed.status === 'number' && signed.status < 500 && signed.body?.error?.code !== 'INTERNAL', JSON.stringify(signed.body));
    const jobId = '0x' + randomBytes(32).toString('hex');
    const read = await call({ path: `/v1/compute/${jobId}`, headers: await w.accessHeaders(address, jobId) });
    assert.equal(read.status, 404, JSON.stringify(read.body));

    const closedAt = await Promise.race([Promise.all(sockets.map((x) => x.closed)), settle(HEADERS_TIMEOUT_MS + 4000).then(() => undefined)]);
    assert.ok(closedAt, 'the provider closed every idle socket (no byte sent) after the headers deadline');
    assert.ok(Math.max(...closedAt) - t0 >= HEADERS_TIMEOUT_MS - 100, 'the ones kept were closed by the deadline, not at once');
    const again = await call({ path: '/v1/health', localAddress: '127.0.0.2' });
    assert.equal(again.status, 200, 'the flooding address is served once its sockets are gone');
  });

  it('the provider process survived every attack in this file (its crash guard is installed by main.ts)', async () => {
    assert.equal(child.exitCode, null);
    const guarded = stdout.filter((l) => l.includes('(still serving)'));
    if (guarded.length > 0) console.log(`the crash guard caught ${guarded.length} error(s):\n${guarded.slice(0, 5).join('\n')}`);
  });
});
