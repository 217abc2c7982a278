import { extname } from 'node:path';
import type { CoveClientBase } from '../client/base.js';
import { ActionError } from '../actions/errors.js';
import type { ProviderInfo } from '../provider-api/http.js';
import { listBundle } from '../results/bundle.js';
import { listingHash } from '../actions/audit/hashes.js';
import { bundleDirectory, bundleFiles, type AlgorithmBundle } from './bundle.js';
import { ALGORITHM_DIR, algorithmHash, normalizeAlgorithmSpec, type AlgorithmSpec, type AlgorithmSpecInput } from './spec.js';

/**
 * An algorithm as a buyer or owner gives it: an image, its code (a file or directory, bytes,
 * or a bundle already on IPFS) and the rest of the container spec, defaults filled in.
 */
export type AlgorithmInput = {
  /** Image ID `sha256:…`, or a reference the provider's environments list (resolved through `/v1/info`). */
  image: string;
  /** A code file or a directory (bundled recursively). */
  file?: string;
  /** One file's bytes, with `fileName`. */
  code?: Uint8Array;
  /** Name of `code` inside the algorithm directory. */
  fileName?: string;
  /** Several files: path (relative) → bytes. */
  files?: ReadonlyMap<string, Uint8Array>;
  /** A bundle already on IPFS (fetched through the client's node to hash it). */
  codeCid?: string;
  /** Docker Cmd; default `python3 <file>` / `node <file>` for a bundle of one `.py` / `.js` file. */
  command?: string[];
  /** Docker Entrypoint; default none. */
  entrypoint?: string[];
  /** Default `/tmp`. */
  workingDir?: string;
  /** `NAME=value` entries; default none. */
  env?: string[];
  /** `uid:gid`; default `1000:1000`. */
  user?: string;
};

export type PreparedAlgorithm = {
  spec: AlgorithmSpec;
  /** What the owner approves and the receipt records. */
  algorithmHash: `0x${string}`;
  /** The bundle's files (path, sha256, size). */
  files: { path: string; sha256: string; size: number }[];
  /** The bundle's bytes, unless it was given by `codeCid`. */
  bytes?: Buffer;
  codeCid?: string;
};

const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

function defaultCommand(files: { path: string }[]): string[] {
  const only = files.length === 1 ? files[0]!.path : undefined;
  const ext = only === undefined ? '' : extname(only).toLowerCase();
  if (ext === '.py') return ['python3', `${ALGORITHM_DIR}/${only}`];
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') return ['node', `${ALGORITHM_DIR}/${only}`];
  throw new ActionError('INVALID_PARAMS', 'no default command for this algorithm (one .py or .js file has one): give algorithm.command');
}

/** The image ID of `image`: itself when it is an ID, else the provider environments' entry for the reference. */
export function resolveImageId(image: string, info?: Pick<ProviderInfo, 'environments'>): string {
  if (IMAGE_ID.test(image.toLowerCase())) return image.toLowerCase();
  const id = info?.environments.flatMap((e) => e.images).find((i) => i.ref === image)?.id;
  if (!id) {
    throw new ActionError('INVALID_PARAMS', `image ${image} is not an image ID (sha256:…) and ${info ? "the provider's environments do not list it" : 'no provider was given to resolve it'}`, { details: { image } });
  }
  return id;
}

/**
 * Turns an algorithm input into the exact spec a job runs and its bundle: reads and bundles
 * the code (or hashes a bundle on IPFS), resolves the image to its ID, fills in defaults,
 * validates, and computes `algorithmHash`. Throws `INVALID_PARAMS`.
 *
 * @example
 * const { spec, algorithmHash } = await prepareAlgorithm(client, { image: 'sha256:…', file: './train' , command: ['python3', '/data/transformations/algorithm/main.py'] });
 */
export async function prepareAlgorithm(
  client: Pick<CoveClientBase, 'storage'> | undefined,
  input: AlgorithmInput,
  options: { info?: Pick<ProviderInfo, 'environments'>; signal?: AbortSignal } = {},
): Promise<PreparedAlgorithm> {
  const given = [input.file, input.code, input.files, input.codeCid].filter((x) => x !== undefined).length;
  if (given !== 1) throw new ActionError('INVALID_PARAMS', 'give exactly one of algorithm.file, algorithm.code, algorithm.files, algorithm.codeCid');
  let bundle: Pick<AlgorithmBundle, 'files' | 'codeHash'> & { bytes?: Buffer };
  if (input.file !== undefined) bundle = await bundleDirectory(input.file);
  else if (input.files !== undefined) bundle = bundleFiles(input.files);
  else if (input.code !== undefined) {
    if (input.fileName === undefined) throw new ActionError('INVALID_PARAMS', 'algorithm.fileName is required with algorithm.code');
    bundle = bundleFiles(new Map([[input.fileName, input.code]]));
  } else {
    if (client === undefined) throw new ActionError('INVALID_PARAMS', 'a codeCid needs a client with a storage node to hash the bundle');
    const files = await listBundle({ source: client.storage.cat(input.codeCid!, options.signal ? { signal: options.signal } : {}), maxFiles: 1024 }).catch((cause: unknown) => {
      throw new ActionError('INVALID_PARAMS', `algorithm.codeCid ${input.codeCid} is not a readable algorithm bundle`, { details: { codeCid: input.codeCid }, cause });
    });
    bundle = { files, codeHash: listingHash(files) };
  }
  const specInput: AlgorithmSpecInput = {
    image: resolveImageId(input.image, options.info),
    codeHash: bundle.codeHash,
    command: input.command ?? defaultCommand(bundle.files),
    ...(input.entrypoint !== undefined && { entrypoint: input.entrypoint }),
    ...(input.workingDir !== undefined && { workingDir: input.workingDir }),
    ...(input.env !== undefined && { env: input.env }),
    ...(input.user !== undefined && { user: input.user }),
  };
  const spec = normalizeAlgorithmSpec(specInput);
  const folder = spec.workingDir.startsWith(ALGORITHM_DIR + '/') ? spec.workingDir.slice(ALGORITHM_DIR.length + 1) + '/' : undefined;
  if (folder !== undefined && !bundle.files.some((f) => f.path.startsWith(folder))) {
    throw new ActionError('INVALID_PARAMS', `working dir ${spec.workingDir} is not a folder of the algorithm bundle`);
  }
  return {
    spec,
    algorithmHash: algorithmHash(spec),
    files: bundle.files,
    ...(bundle.bytes !== undefined && { bytes: bundle.bytes }),
    ...(input.codeCid !== undefined && { codeCid: input.codeCid }),
  };
}
