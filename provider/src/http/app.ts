import express, { type Request } from 'express';
import type { Logger } from 'pino';
import { ProviderError } from '../errors.js';
import type { JobAction } from '@cove/sdk';
import type { JobAccess } from '../usecases/jobQueries.js';
import type { StartComputeParameters } from '../usecases/startCompute.js';
import type { DownloadGrant } from '../usecases/requestDownload.js';
import type { PinProgress } from '../usecases/pinContent.js';
import type { DownloadRequestMessage, PinRequestMessage } from '@cove/sdk';
import { createRateLimiter, errorHandler, parse, requestLogger } from './middleware.js';
import { pinRoute } from './pinRoute.js';
import { buildOpenApi } from './openapi.js';
import type { HealthReport } from '../health.js';
import type { ReviewParameters } from '../usecases/review.js';
import { AddressParam, ComputeBody, DownloadBody, JobAccessHeaders, JobIdParam, PinBody, ReviewBody, type InfoView } from './schemas.js';

/** What the routes call: the use cases, bound to their adapters. Routes know nothing else. */
export type ProviderServices = {
  info(): InfoView;
  /** Each dependency's state and the job counts; `status` is not `ok` when one is down. */
  health(): Promise<HealthReport>;
  lastNonce(address: string): bigint | undefined;
  startCompute(params: StartComputeParameters): Promise<{ jobId: string }>;
  requestDownload(params: { request: DownloadRequestMessage; signature: string }): Promise<{ datasets: DownloadGrant[] }>;
  pin(params: { request: PinRequestMessage; signature: string; signal?: AbortSignal; onProgress?: (p: PinProgress) => void }): Promise<{ pinned: string[] }>;
  jobStatus(access: JobAccess): unknown;
  jobLogs(access: JobAccess): unknown;
  jobResult(access: JobAccess): unknown;
  stopJob(access: JobAccess): Promise<{ jobId: string; status: string }>;
  /** A block stored here (documents, encrypted datasets and results, code bundles), as stored; undefined when absent. */
  rawBlock(cid: string): Promise<Uint8Array | undefined>;
  /** An asset owner's review of held outputs; the route's action must be the signed one. */
  review: Record<'list' | 'inspect' | 'release' | 'reject', (params: ReviewParameters) => Promise<unknown>>;
};

export type ProviderAppDeps = {
  services: ProviderServices;
  logger: Logger;
  limits: { bodyBytes: number; ratePerSecond: number; rateBurst: number };
};

const RAW = 'application/vnd.ipld.raw';

/**
 * `GET|HEAD /ipfs/<cid>`: one block this provider stores, by the trustless-gateway
 * convention (the response is a raw block, `application/vnd.ipld.raw`, asked for by `Accept`
 * or `?format=raw`), so anyone with HTTP and a hash tool can fetch a document or a result
 * and check it against its CID without an IPFS stack. Only blocks already here are served
 * (never fetched on the caller's behalf): what bitswap would give any peer anyway —
 * documents, ciphertext, code bundles. No paths, no UnixFS rendering, no other formats (406).
 */
function rawBlockRoute(services: ProviderServices): express.Router {
  const r = express.Router();
  r.get('/:cid', async (req, res) => {
    const format = typeof req.query.format === 'string' ? req.query.format : undefined;
    const accepts = (req.headers.accept ?? '').split(',').map((a) => a.split(';')[0]!.trim().toLowerCase());
    if (format !== undefined ? format !== 'raw' : !accepts.includes(RAW)) {
      throw new ProviderError('NOT_ACCEPTABLE', `only raw blocks are served: send Accept: ${RAW} or ?format=raw`);
    }
    const cid = req.params.cid!;
    const block = await services.rawBlock(cid);
    if (block === undefined) throw new ProviderError('NOT_FOUND', 'no such block here', { details: { cid } });
    res.set({
      'Content-Type': RAW,
      'Content-Length': String(block.byteLength),
      'Cache-Control': 'public, max-age=29030400, immutable',
      ETag: `"${cid}.raw"`,
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': `attachment; filename="${cid}.bin"`,
    });
    // Express answers HEAD through this GET route, without the body.
    res.end(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
  });
  return r;
}

function jobAccess(req: Request, action: JobAction): JobAccess {
  const { jobId } = parse(JobIdParam, req.params, 'params');
  const h = parse(JobAccessHeaders, req.headers, 'headers');
  return { jobId: jobId.toLowerCase(), action, expiry: h['x-cove-expiry'], signature: h['x-cove-signature'] };
}

/**
 * The provider's HTTP API under `/v1` (see `GET /v1/openapi.json`). Routes validate with
 * zod and call a service; every failure goes to the one error middleware.
 * @example
 * const app = createProviderApp({ services, logger, limits });
 * app.listen(0);
 */
export function createProviderApp(deps: ProviderAppDeps): express.Express {
  const { services } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);
  app.use(requestLogger(deps.logger));
  app.use(express.json({ limit: deps.limits.bodyBytes, strict: true }));
  const limiter = createRateLimiter({ ratePerSecond: deps.limits.ratePerSecond, burst: deps.limits.rateBurst }).middleware();
  const openapi = buildOpenApi();

  const v1 = express.Router();
  v1.get('/health', async (_req, res) => {
    const report = await services.health();
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  v1.get('/info', (_req, res) => {
    res.json(services.info());
  });
  v1.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  v1.get('/nonce/:address', (req, res) => {
    const { address } = parse(AddressParam, req.params, 'params');
    const last = services.lastNonce(address);
    res.json({ address, lastNonce: last === undefined ? null : String(last) });
  });
  v1.post('/compute', limiter, async (req, res) => {
    const body = parse(ComputeBody, req.body, 'body');
    const { jobId } = await services.startCompute({
      request: body.request,
      signature: body.signature,
      inlineCode: body.algorithmCode === undefined ? undefined : Buffer.from(body.algorithmCode, 'base64'),
    });
    res.status(202).json({ jobId, status: 'queued' });
  });
  v1.post('/download', limiter, async (req, res) => {
    const body = parse(DownloadBody, req.body, 'body');
    res.json(await services.requestDownload(body));
  });
  v1.post('/pin', limiter, async (req, res) => {
    await pinRoute(services, parse(PinBody, req.body, 'body'), req, res);
  });
  for (const action of ['list', 'inspect', 'release', 'reject'] as const) {
    v1.post(`/review/${action}`, limiter, async (req, res) => {
      const body = parse(ReviewBody, req.body, 'body');
      res.json(await services.review[action]({ request: { ...body.request, jobId: body.request.jobId.toLowerCase() }, signature: body.signature }));
    });
  }
  v1.get('/compute/:jobId', (req, res) => {
    res.json(services.jobStatus(jobAccess(req, 'read')));
  });
  v1.get('/compute/:jobId/logs', (req, res) => {
    res.json(services.jobLogs(jobAccess(req, 'read')));
  });
  v1.get('/compute/:jobId/result', (req, res) => {
    res.json(services.jobResult(jobAccess(req, 'read')));
  });
  v1.delete('/compute/:jobId', limiter, async (req, res) => {
    res.json(await services.stopJob(jobAccess(req, 'stop')));
  });

  app.use('/v1', v1);
  app.use('/ipfs', limiter, rawBlockRoute(services));
  app.use((_req, _res, next) => next(new ProviderError('NOT_FOUND', 'no such route')));
  app.use(errorHandler());
  return app;
}
