import express, { type Request } from 'express';
import type { Logger } from 'pino';
import { ProviderError } from '../errors.js';
import type { JobAction } from '@cove/sdk';
import type { JobAccess } from '../usecases/jobQueries.js';
import type { StartComputeParameters } from '../usecases/startCompute.js';
import type { DownloadGrant } from '../usecases/requestDownload.js';
import type { DownloadRequestMessage, PinRequestMessage } from '@cove/sdk';
import { createRateLimiter, errorHandler, parse, requestLogger } from './middleware.js';
import { buildOpenApi } from './openapi.js';
import type { ReviewParameters } from '../usecases/review.js';
import { AddressParam, ComputeBody, DownloadBody, JobAccessHeaders, JobIdParam, PinBody, ReviewBody, type InfoView } from './schemas.js';

/** What the routes call: the use cases, bound to their adapters. Routes know nothing else. */
export type ProviderServices = {
  info(): InfoView;
  health(): { waiting: number; active: number };
  lastNonce(address: string): bigint | undefined;
  startCompute(params: StartComputeParameters): Promise<{ jobId: string }>;
  requestDownload(params: { request: DownloadRequestMessage; signature: string }): Promise<{ datasets: DownloadGrant[] }>;
  pin(params: { request: PinRequestMessage; signature: string }): Promise<{ pinned: string[] }>;
  jobStatus(access: JobAccess): unknown;
  jobLogs(access: JobAccess): unknown;
  jobResult(access: JobAccess): unknown;
  stopJob(access: JobAccess): Promise<{ jobId: string; status: string }>;
  /** An asset owner's review of held outputs; the route's action must be the signed one. */
  review: Record<'list' | 'inspect' | 'release' | 'reject', (params: ReviewParameters) => Promise<unknown>>;
};

export type ProviderAppDeps = {
  services: ProviderServices;
  logger: Logger;
  limits: { bodyBytes: number; ratePerSecond: number; rateBurst: number };
};

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
  v1.get('/health', (_req, res) => {
    res.json({ status: 'ok', jobs: services.health() });
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
    const body = parse(PinBody, req.body, 'body');
    res.json(await services.pin(body));
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
  app.use((_req, _res, next) => next(new ProviderError('NOT_FOUND', 'no such route')));
  app.use(errorHandler());
  return app;
}
