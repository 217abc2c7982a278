import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { DockerApi } from '../docker-api.js';
import type { Mounter } from '../workspace.js';

/** How a fake container behaves once started. */
export type FakeBehaviour = { exitCode?: number; oom?: boolean; runMs?: number; hang?: boolean; startHang?: boolean; outputs?: Record<string, string>; logs?: Buffer };

export type FakeContainer = {
  id: string;
  options: Docker.ContainerCreateOptions;
  state: 'created' | 'running' | 'exited' | 'removed';
  exitCode?: number;
  oom: boolean;
  killed: boolean;
};

const notFound = () => Object.assign(new Error('no such container'), { statusCode: 404 });

/**
 * An in-memory Docker with scripted containers, for unit tests of the engine. `behave`
 * picks each container's behaviour by its job label; `probe` that of a container without
 * one (the runtime probe; exits 0 by default).
 */
export function fakeDocker(params: { images: Record<string, string>; behave: (jobId: string) => FakeBehaviour; failCreate?: boolean; probe?: FakeBehaviour }) {
  const containers = new Map<string, FakeContainer>();
  const waiters = new Map<string, PassThrough[]>();
  const order: string[] = [];
  let n = 0;

  const exit = (c: FakeContainer, code: number, oom = false) => {
    if (c.state !== 'running') return;
    c.state = 'exited';
    c.exitCode = code;
    c.oom = oom;
    for (const w of waiters.get(c.id) ?? []) w.end(JSON.stringify({ StatusCode: code, Error: null }));
    waiters.delete(c.id);
  };
  const find = (idOrName: string) => [...containers.values()].find((c) => c.state !== 'removed' && (c.id === idOrName || c.options.name === idOrName));

  const handle = (idOrName: string): Docker.Container =>
    ({
      get id() {
        return find(idOrName)?.id ?? idOrName;
      },
      async start() {
        const c = find(idOrName);
        if (!c) throw notFound();
        const jobId = c.options.Labels?.['cove.job'];
        if (jobId) order.push(jobId);
        const b = jobId ? params.behave(jobId) : (params.probe ?? {});
        if (b.startHang) return new Promise<never>(() => {});
        c.state = 'running';
        const outDir = c.options.HostConfig?.Mounts?.find((m) => m.Target === '/data/outputs')?.Source ?? '';
        for (const [name, content] of Object.entries(b.outputs ?? {})) {
          await mkdir(join(outDir, name, '..'), { recursive: true });
          await writeFile(join(outDir, name), content);
        }
        if (!b.hang) setTimeout(() => exit(c, b.oom ? 137 : (b.exitCode ?? 0), b.oom), b.runMs ?? 5);
      },
      async kill() {
        const c = find(idOrName);
        if (!c) throw notFound();
        if (c.state !== 'running') throw Object.assign(new Error('not running'), { statusCode: 409 });
        c.killed = true;
        exit(c, 137);
      },
      async inspect() {
        const c = find(idOrName);
        if (!c) throw notFound();
        return { Id: c.id, State: { Status: c.state, ExitCode: c.exitCode ?? 0, OOMKilled: c.oom, StartedAt: new Date().toISOString() }, HostConfig: { Runtime: c.options.HostConfig?.Runtime } };
      },
      async logs() {
        const c = find(idOrName)!;
        return params.behave(c.options.Labels!['cove.job']!).logs ?? Buffer.alloc(0);
      },
      async remove() {
        const c = find(idOrName);
        if (!c) throw notFound();
        c.state = 'removed';
      },
    }) as unknown as Docker.Container;

  const docker: DockerApi = {
    getImage: ((ref: string) => ({
      inspect: async () => {
        const id = params.images[ref];
        if (!id) throw Object.assign(new Error('no such image'), { statusCode: 404 });
        return { Id: id };
      },
    })) as unknown as DockerApi['getImage'],
    createContainer: (async (options: Docker.ContainerCreateOptions) => {
      if (params.failCreate) throw Object.assign(new Error('daemon exploded'), { statusCode: 500 });
      const c: FakeContainer = { id: `c${++n}`, options, state: 'created', oom: false, killed: false };
      containers.set(c.id, c);
      return handle(c.id);
    }) as unknown as DockerApi['createContainer'],
    getContainer: ((id: string) => handle(id)) as unknown as DockerApi['getContainer'],
    listContainers: (async (opts: { filters: { label: string[] } }) => {
      const [key, value] = opts.filters.label[0]!.split('=');
      return [...containers.values()]
        .filter((c) => c.state !== 'removed' && c.options.Labels?.[key!] === value)
        .map((c) => ({ Id: c.id, State: c.state, Labels: c.options.Labels }));
    }) as unknown as DockerApi['listContainers'],
    modem: {
      dial: ((opts: { path: string }, cb: (err: unknown, res?: unknown) => void) => {
        const id = decodeURIComponent(opts.path.split('/')[2]!);
        const c = find(id);
        if (!c) return cb(notFound());
        const stream = new PassThrough();
        if (c.state === 'exited' && (opts as { options?: { condition?: string } }).options?.condition === 'not-running') {
          stream.end(JSON.stringify({ StatusCode: c.exitCode }));
        } else waiters.set(c.id, [...(waiters.get(c.id) ?? []), stream]);
        cb(null, stream);
      }) as unknown as DockerApi['modem']['dial'],
    },
  };
  return { docker, containers, order };
}

/** A mounter that records mounts instead of making them. */
export function fakeMounter(params: { refuse?: boolean } = {}): Mounter & { mounted: Set<string> } {
  const mounted = new Set<string>();
  return {
    mounted,
    async mountTmpfs({ dir }) {
      if (params.refuse) {
        const { RunnerError } = await import('../errors.js');
        throw new RunnerError('MOUNT_NOT_PERMITTED', `cannot mount a size-capped tmpfs on ${dir}`);
      }
      mounted.add(dir);
    },
    async unmount(dir) {
      mounted.delete(dir);
    },
    async mountsUnder(prefix) {
      return [...mounted].filter((m) => m === prefix || m.startsWith(`${prefix}/`));
    },
  };
}
