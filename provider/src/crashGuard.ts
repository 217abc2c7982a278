import type { Logger } from 'pino';

type ProcessLike = Pick<NodeJS.Process, 'on'>;

const guarded = new WeakSet<object>();

/**
 * Keeps the provider serving when something throws outside a request (a callback of a
 * library, a promise nobody awaited): `uncaughtException` and `unhandledRejection` are
 * logged at error level and the process carries on, instead of Node's default of exiting,
 * which would let any input that reaches such a path take the provider down for everyone.
 * Installed by the process entry (`main.ts`) only; idempotent per process.
 * @example
 * installCrashGuard({ logger });
 */
export function installCrashGuard(params: { logger: Pick<Logger, 'error'>; target?: ProcessLike }): boolean {
  const target = params.target ?? process;
  if (guarded.has(target)) return false;
  guarded.add(target);
  const report = (err: unknown, msg: string, extra: Record<string, unknown> = {}) => {
    try {
      params.logger.error({ err, ...extra }, msg);
    } catch {
      process.stderr.write(`cove-provider: ${msg}: ${String(err)}\n`);
    }
  };
  target.on('uncaughtException', (err: Error, origin: string) => report(err, 'uncaught exception (still serving)', { origin }));
  target.on('unhandledRejection', (reason: unknown) => report(reason, 'unhandled promise rejection (still serving)'));
  return true;
}
