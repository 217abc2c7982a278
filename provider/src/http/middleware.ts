import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { z } from 'zod';
import { ProviderError } from '../errors.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Headers that carry credentials: a `JobAccess` signature is a bearer token until its expiry. */
export const REDACTED_HEADERS = ['x-cove-signature', 'authorization', 'proxy-authorization', 'cookie', 'set-cookie'] as const;

/** A copy of `headers` with every credential header's value replaced by `[Redacted]`. */
export function redactHeaders(headers: unknown): unknown {
  if (typeof headers !== 'object' || headers === null) return headers;
  const out: Record<string, unknown> = { ...(headers as Record<string, unknown>) };
  for (const name of Object.keys(out)) if ((REDACTED_HEADERS as readonly string[]).includes(name.toLowerCase())) out[name] = '[Redacted]';
  return out;
}

/**
 * Structured request logs; honours a well-formed `x-request-id` or generates one, and echoes
 * it. Credential headers ({@link REDACTED_HEADERS}) are logged as `[Redacted]`.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    serializers: {
      req: (req: { headers?: unknown }) => ({ ...req, headers: redactHeaders(req.headers) }),
      res: (res: { headers?: unknown }) => ({ ...res, headers: redactHeaders(res.headers) }),
    },
    genReqId(req, res) {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
  });
}

/**
 * Per-key token buckets (in memory): `ratePerSecond` tokens refill continuously up to
 * `burst`. The route middleware limits by source address, before anything in the request
 * is believed; {@link createRateLimiter}'s `admitSigner` limits by signer, and is called by
 * the use cases only once the signature verifies, so a request naming someone else cannot
 * spend that address's tokens.
 */
export function createRateLimiter(params: { ratePerSecond: number; burst: number; maxKeys?: number; clock?: () => number }) {
  const clock = params.clock ?? Date.now;
  const maxKeys = params.maxKeys ?? 100_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  function take(key: string): boolean {
    const now = clock();
    let b = buckets.get(key);
    if (!b) {
      if (buckets.size >= maxKeys) buckets.clear();
      b = { tokens: params.burst, at: now };
      buckets.set(key, b);
    }
    b.tokens = Math.min(params.burst, b.tokens + ((now - b.at) / 1000) * params.ratePerSecond);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
  return {
    take,
    /** Middleware limiting by the client's source address (never by anything the body claims). */
    middleware(): RequestHandler {
      return (req, _res, next) => {
        if (!take(`ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`)) return next(new ProviderError('RATE_LIMITED', 'too many requests, slow down'));
        next();
      };
    },
    /** Takes a token of a verified signer; throws RATE_LIMITED when its bucket is empty. */
    admitSigner(signer: string): void {
      if (!take(`signer:${signer.toLowerCase()}`)) throw new ProviderError('RATE_LIMITED', 'too many requests from this signer, slow down');
    },
  };
}

/** Parses `value` with `schema`, turning failures into VALIDATION errors listing `path: message`. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ProviderError('VALIDATION', `invalid ${where}`, {
    details: { issues: r.error.issues.map((i) => `${[where, ...i.path].join('.')}: ${i.message}`) },
  });
}

type BodyParserError = Error & { type?: string; status?: number };

/**
 * The one error middleware: ProviderErrors answer with their code and status; body-parser
 * failures become MALFORMED_JSON / PAYLOAD_TOO_LARGE; anything else is logged and answered
 * 500 INTERNAL without internals.
 */
export function errorHandler(): ErrorRequestHandler {
  return (err: unknown, req: Request, res, next) => {
    if (res.headersSent) return next(err);
    const e = toProviderError(err, req);
    res.status(e.status).json(errorBody(e));
  };
}

/** The JSON body of an error answer: `{ error: { code, message, details? } }`. */
export function errorBody(e: ProviderError): { error: { code: string; message: string; details?: Record<string, unknown> } } {
  return { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } };
}

/** Any error a route threw as the ProviderError it answers with (logging the unexpected ones). */
export function toProviderError(err: unknown, req: Request): ProviderError {
  let e: ProviderError;
  const bp = err as BodyParserError;
  if (err instanceof ProviderError) e = err;
  else if (bp?.type === 'entity.too.large') e = new ProviderError('PAYLOAD_TOO_LARGE', 'request body too large');
  else if (bp?.type === 'entity.parse.failed') e = new ProviderError('MALFORMED_JSON', 'request body is not valid JSON');
  else if (bp?.type === 'encoding.unsupported' || bp?.type === 'charset.unsupported') e = new ProviderError('VALIDATION', bp.message);
  else {
    req.log?.error({ err }, 'unhandled error');
    e = new ProviderError('INTERNAL', 'internal error');
  }
  if (e.status >= 500 && e.code !== 'INTERNAL') req.log?.error({ err: e }, 'request failed');
  return e;
}
