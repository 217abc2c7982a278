import type Docker from 'dockerode';
import { RunnerError } from './errors.js';

/** What the Docker engine uses of dockerode; unit tests pass small fakes of it. */
export type DockerApi = Pick<Docker, 'createContainer' | 'getContainer' | 'getImage' | 'listContainers'> & {
  modem: Pick<Docker['modem'], 'dial'>;
};

export type ExitStatus = { StatusCode: number; Error?: { Message?: string } | null };

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** True for "no such container/image" (404) errors from the engine. */
export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** Wraps a failure to reach the Docker engine (socket refused, timeouts, 5xx). */
export function engineUnavailable(err: unknown, doing: string): RunnerError {
  return new RunnerError('ENGINE_UNAVAILABLE', `Docker engine error while ${doing}: ${(err as Error).message}`, { cause: err });
}

/**
 * Registers a wait on the container and resolves once the engine has acknowledged it
 * (it answers the headers only after the wait is in place), with the promise of the
 * exit. Registered before `start` with `next-exit`, no exit can be missed; after a
 * restart, `not-running` returns at once for a container that has already exited.
 *
 * @example
 * const { exited } = await registerWait(docker, id, 'next-exit'); await container.start(); const { StatusCode } = await exited
 */
export function registerWait(
  docker: Pick<DockerApi, 'modem'>,
  id: string,
  condition: 'next-exit' | 'not-running',
): Promise<{ exited: Promise<ExitStatus> }> {
  return new Promise((registered, refused) => {
    docker.modem.dial(
      {
        path: `/containers/${encodeURIComponent(id)}/wait?`,
        method: 'POST',
        isStream: true,
        statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' },
        options: { condition },
      },
      (err: unknown, res: unknown) => {
        if (err) return refused(err);
        const stream = res as NodeJS.ReadableStream;
        // Wrapped in an object: a promise resolved with a promise would wait for the exit.
        const exited = new Promise<ExitStatus>((resolve, reject) => {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExitStatus);
            } catch (e) {
              reject(e);
            }
          });
        });
        exited.catch(() => {}); // observed by the caller; never an unhandled rejection meanwhile
        registered({ exited });
      },
    );
  });
}

/** SIGKILL, ignoring "not running" and "no such container". */
export async function killQuietly(container: Pick<Docker.Container, 'kill'>): Promise<void> {
  try {
    await container.kill({ signal: 'SIGKILL' });
  } catch (err) {
    const s = statusOf(err);
    if (s !== 404 && s !== 409) throw err;
  }
}

/** Force-removes a container with its anonymous volumes; a missing one is fine. */
export async function removeQuietly(container: Pick<Docker.Container, 'remove'>): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (err) {
    if (!isNotFound(err) && !/already in progress/.test((err as Error).message)) throw err;
  }
}
