import { readFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';

/** Connection limits and timeouts of the HTTP server (`COVE_HTTP_*`). */
export type HttpServerLimits = {
  /** Open connections in all; Node closes new ones beyond it before they are read. */
  maxConnections: number;
  /** Open connections per source address; beyond it that address's new ones are closed at once. */
  maxConnectionsPerAddress: number;
  /** Headers must arrive within this long; a connection that sends no request at all is closed after it too. */
  headersTimeoutMs: number;
  /** The whole request must arrive within this long (408). */
  requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this long. */
  keepAliveTimeoutMs: number;
};

/**
 * The provider's HTTP server, hardened against connection floods: a global and a
 * per-source-address cap on open connections (a flood from one address fills only its own
 * share, and the total stays below the file descriptor limit, so nobody gets a 500 for a
 * failed `open`), and deadlines for every stage. Node's `headersTimeout` only runs once a
 * request's first byte has arrived, so a connection that never sends one is closed here,
 * `headersTimeoutMs` after it was accepted, unless a request arrived on it by then.
 * @example
 * const server = createHttpServer(app, config.http).listen(config.port, config.host);
 */
export function createHttpServer(app: RequestListener, limits: HttpServerLimits): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node checks the header and request deadlines; its default (30 s) would let short deadlines slip.
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4))),
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  const perAddress = new Map<string, number>();
  const served = new WeakSet<Socket>();
  server.on('request', (req) => served.add(req.socket));
  server.on('connection', (socket: Socket) => {
    const key = socket.remoteAddress ?? 'unknown';
    const open = (perAddress.get(key) ?? 0) + 1;
    if (open > limits.maxConnectionsPerAddress) {
      socket.destroy();
      return;
    }
    perAddress.set(key, open);
    const firstRequest = setTimeout(() => served.has(socket) || socket.destroy(), limits.headersTimeoutMs);
    firstRequest.unref();
    socket.once('close', () => {
      clearTimeout(firstRequest);
      const left = (perAddress.get(key) ?? 1) - 1;
      if (left > 0) perAddress.set(key, left);
      else perAddress.delete(key);
    });
  });
  return server;
}

/** The soft limit on open files of this process (Linux `/proc/self/limits`), or undefined where unknown. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}
