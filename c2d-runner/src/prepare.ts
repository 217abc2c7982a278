import { readFile } from 'node:fs/promises';
import { engineUnavailable, isNotFound, type DockerApi } from './docker-api.js';
import { RunnerError } from './errors.js';
import type { NormalizedSpec } from './spec.js';

const withPrefix = (id: string) => (id.startsWith('sha256:') ? id : `sha256:${id}`);

/**
 * The local image ID of `ref`, which must be one of `allowed` (IDs, with or without
 * `sha256:`). Errors: `IMAGE_NOT_FOUND`, `IMAGE_NOT_ALLOWED`, `ENGINE_UNAVAILABLE`.
 *
 * @example
 * const id = await resolveImageId(docker, 'cove/python-sklearn:12', [allowedId])
 */
export async function resolveImageId(docker: Pick<DockerApi, 'getImage'>, ref: string, allowed: readonly string[]): Promise<string> {
  let id: string;
  try {
    id = (await docker.getImage(ref).inspect()).Id;
  } catch (err) {
    if (isNotFound(err)) throw new RunnerError('IMAGE_NOT_FOUND', `image ${ref} is not on this host`, { details: { image: ref }, cause: err });
    throw engineUnavailable(err, 'resolving the image');
  }
  if (!allowed.map(withPrefix).includes(id)) {
    throw new RunnerError('IMAGE_NOT_ALLOWED', `image ${ref} (${id}) is not among the allowed image IDs`, { details: { image: ref, imageId: id, allowed } });
  }
  return id;
}

/**
 * The algorithm's files as they will be mounted: inline contents, or read from their paths.
 * Errors: `INVALID_SPEC` naming the unreadable path (the caller's own file).
 *
 * @example
 * const files = await loadAlgorithmFiles(spec) // [{ name: 'main.py', content }]
 */
export async function loadAlgorithmFiles(spec: Pick<NormalizedSpec, 'algorithm'>): Promise<Array<{ name: string; content: Uint8Array }>> {
  return Promise.all(
    spec.algorithm.map(async (f) => {
      if (f.content) return { name: f.name, content: f.content };
      try {
        return { name: f.name, content: await readFile(f.path!) };
      } catch (err) {
        throw new RunnerError('INVALID_SPEC', `algorithm file ${f.path} cannot be read`, { details: { field: 'algorithm', path: f.path }, cause: err });
      }
    }),
  );
}
