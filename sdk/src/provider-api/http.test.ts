import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Wallet, verifyTypedData } from 'ethers';
import { isCoveError } from '../errors.js';
import { createProviderHttp, nextNonce, signJobAccess } from './http.js';
import { JOB_ACCESS_TYPES, providerDomain } from './typedData.js';

async function serve(handler: (req: IncomingMessage, body: string) => { status: number; body: unknown }) {
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const r = handler(req, body);
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

test("maps the provider's error bodies to coded errors and sends job tokens as headers", async (t) => {
  const s = await serve((req) => {
    if (req.url === '/v1/nonce/0xabc') return { status: 200, body: { address: '0xabc', lastNonce: '99999999999999' } };
    if (req.url?.startsWith('/v1/compute/')) return { status: 409, body: { error: { code: 'JOB_NOT_FINISHED', message: 'job has not finished', details: { status: 'running' } } } };
    if (req.url === '/v1/info') return { status: 200, body: 'not json' };
    return { status: 418, body: { error: { code: 'TEAPOT', message: '?' } } };
  });
  t.after(() => s.close());
  const http = createProviderHttp({ url: s.url + '/' });
  await assert.rejects(http.jobResult('0x01', { expiry: 5, signature: '0xsig' }), (e) => isCoveError(e, 'JOB_NOT_FINISHED') && e.details?.status === 409);
  assert.equal(s.seen.at(-1)!.headers['x-cove-expiry'], '5');
  assert.equal(s.seen.at(-1)!.headers['x-cove-signature'], '0xsig');
  await assert.rejects(http.info(), (e) => isCoveError(e, 'PROVIDER_BAD_RESPONSE'));
  await assert.rejects(http.startCompute({} as never), (e) => isCoveError(e, 'PROVIDER_BAD_RESPONSE'));
  assert.equal(await nextNonce(http, '0xabc'), 100000000000000n);
  await assert.rejects(createProviderHttp({ url: 'http://127.0.0.1:9' }).info(), (e) => isCoveError(e, 'PROVIDER_UNREACHABLE'));
});

test('job access tokens recover to the signer under the provider domain', async () => {
  const wallet = Wallet.createRandom();
  const provider = Wallet.createRandom().address;
  const jobId = '0x' + '12'.repeat(32);
  const token = await signJobAccess({ signer: wallet, chainId: 31337n, provider, jobId, action: 'stop' });
  const domain = providerDomain({ chainId: 31337n, provider });
  assert.equal(verifyTypedData(domain, JOB_ACCESS_TYPES, { jobId, action: 'stop', expiry: token.expiry }, token.signature), wallet.address);
  assert.notEqual(verifyTypedData(domain, JOB_ACCESS_TYPES, { jobId, action: 'read', expiry: token.expiry }, token.signature), wallet.address);
});
