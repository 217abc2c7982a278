import type { Request, Response } from 'express';
import type { PinRequestMessage } from '@cove/sdk';
import type { PinProgress } from '../usecases/pinContent.js';
import type { ProviderServices } from './app.js';
import { errorBody, toProviderError } from './middleware.js';

/** The media type of a pin answer that streams progress. */
export const NDJSON = 'application/x-ndjson';

/** How often a streaming pin answer reports progress (and shows the connection is alive). */
export const PIN_PROGRESS_INTERVAL_MS = 1000;

/**
 * `POST /v1/pin`. A client that accepts `application/x-ndjson` and whose pin runs longer
 * than {@link PIN_PROGRESS_INTERVAL_MS} gets a 200 stream of lines instead of one JSON body:
 * `{"progress":{"bytes","declaredBytes"}}` every interval, then `{"result":{"pinned":[…]}}` or
 * `{"error":{"code","message","details?"},"status":<the HTTP status it would have had>}`.
 * So a client can hold an idle deadline rather than a total one, and show bytes of total. A
 * pin that ends sooner (most refusals do) answers as any other route. The pin stops (keeping
 * what arrived, for a later request to resume) when the client goes away.
 */
export async function pinRoute(services: ProviderServices, body: { request: PinRequestMessage; signature: string }, req: Request, res: Response): Promise<void> {
  const streams = (req.headers.accept ?? '').split(',').some((a) => a.split(';')[0]!.trim().toLowerCase() === NDJSON);
  if (!streams) {
    res.json(await services.pin(body));
    return;
  }
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort(new Error('the client went away'));
  });
  let progress: PinProgress = { bytes: 0, declaredBytes: 0 };
  let streaming = false;
  const beat = setInterval(() => {
    if (!streaming) {
      streaming = true;
      res.status(200).set({ 'Content-Type': NDJSON, 'Cache-Control': 'no-store' });
    }
    res.write(JSON.stringify({ progress }) + '\n');
  }, PIN_PROGRESS_INTERVAL_MS);
  try {
    const result = await services.pin({ ...body, signal: gone.signal, onProgress: (p) => (progress = p) });
    if (streaming) res.end(JSON.stringify({ result }) + '\n');
    else res.json(result);
  } catch (err) {
    if (!streaming) throw err;
    const e = toProviderError(err, req);
    res.end(JSON.stringify({ ...errorBody(e), status: e.status }) + '\n');
  } finally {
    clearInterval(beat);
  }
}
