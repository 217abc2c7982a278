import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProviderHttp, isCoveError, type PinProgressView, type PinRequestMessage } from '@cove/sdk';
import { ProviderError } from '../errors.js';
import { startHarness } from '../testing/harness.js';
import type { PinProgress } from '../usecases/pinContent.js';
import { PIN_PROGRESS_INTERVAL_MS } from './pinRoute.js';

const request: PinRequestMessage = { publisher: '0x' + '11'.repeat(20), cids: ['bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'], from: [], nonce: '1', expiry: 4_000_000_000 };
const body = { request, signature: '0x' + '22'.repeat(65) };

/** A pin service that reports `steps` of progress, one per half interval, then ends with `end`. */
function slowPin(steps: number, end: () => { pinned: string[] }) {
  return async (params: { onProgress?: (p: PinProgress) => void; signal?: AbortSignal }) => {
    for (let i = 1; i <= steps; i++) {
      await new Promise((r) => setTimeout(r, PIN_PROGRESS_INTERVAL_MS / 2));
      params.onProgress?.({ bytes: i * 100, declaredBytes: steps * 100 });
    }
    return end();
  };
}

describe('POST /v1/pin progress stream', () => {
  it('streams progress to a client that accepts it and ends with the result, under an idle (not a total) client deadline', async () => {
    const h = await startHarness({ override: { pin: slowPin(5, () => ({ pinned: request.cids })) } });
    try {
      const seen: PinProgressView[] = [];
      // the whole pin takes longer than this deadline; the provider's beats keep it alive
      const http = createProviderHttp({ url: h.url, timeoutMs: PIN_PROGRESS_INTERVAL_MS * 2 });
      assert.deepEqual(await http.pin(body, { onProgress: (p) => seen.push(p) }), { pinned: request.cids });
      assert.ok(seen.length >= 1, 'progress was reported');
      assert.ok(seen.every((p) => p.declaredBytes === 500 && p.bytes <= 500));
    } finally {
      await h.close();
    }
  });

  it('reports a failure after the stream began as the provider error, code and status kept', async () => {
    const h = await startHarness({
      override: {
        pin: slowPin(4, () => {
          throw new ProviderError('PIN_IDLE_TIMEOUT', 'no data arrived', { details: { idleTimeoutMs: 5 } });
        }),
      },
    });
    try {
      const error = await createProviderHttp({ url: h.url }).pin(body).catch((e: unknown) => e);
      assert.ok(isCoveError(error, 'PIN_IDLE_TIMEOUT'), String(error));
      assert.equal((error as { details?: { status?: number } }).details?.status, 504);
    } finally {
      await h.close();
    }
  });

  it('answers a quick refusal with its own status, without a stream', async () => {
    const h = await startHarness({ override: { pin: async () => Promise.reject(new ProviderError('PIN_TOO_LARGE', 'too large')) } });
    try {
      const r = await h.post('/v1/pin', body, { accept: 'application/x-ndjson' });
      assert.equal(r.status, 413);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'PIN_TOO_LARGE');
    } finally {
      await h.close();
    }
  });
});
