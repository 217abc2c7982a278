import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  decryptStream,
  encryptStream,
  type DecryptStreamParameters,
  type EncryptStreamParameters,
  type EncryptStreamResult,
} from './envelope.js';
import { abortedError } from './errors.js';

export type EncryptFileParameters = EncryptStreamParameters & { input: string; output: string };
export type DecryptFileParameters = DecryptStreamParameters & { input: string; output: string };
export type DecryptFileReturnType = { plaintextBytes: number };

/** Streams `source` into `output` through a temporary sibling, renamed only on success. */
async function writeAtomically(source: AsyncIterable<Uint8Array>, output: string, signal?: AbortSignal): Promise<void> {
  const temp = join(dirname(output), `.${basename(output)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    await pipeline(Readable.from(source, { objectMode: false }), createWriteStream(temp, { mode: 0o600 }), { signal });
    await rename(temp, output);
  } catch (err) {
    await rm(temp, { force: true });
    if (signal?.aborted === true) throw abortedError(signal);
    throw err;
  }
}

/**
 * Encrypts the file `input` into the envelope file `output` (written atomically).
 *
 * @example
 * const key = generateContentKey();
 * const { contentHash } = await encryptFile({ input: 'train.csv', output: 'train.csv.cove', key });
 */
export async function encryptFile(params: EncryptFileParameters): Promise<EncryptStreamResult> {
  const { input, output, ...rest } = params;
  const enc = encryptStream(createReadStream(input, { highWaterMark: 1024 * 1024 }), rest);
  await writeAtomically(enc, output, rest.signal);
  return enc.result;
}

/**
 * Decrypts the envelope file `input` into `output`. The plaintext goes to a temporary
 * name and is renamed only once every chunk, the final flag (and the content hash, when
 * given) have checked out, so a failed decryption leaves no file behind.
 *
 * @example
 * await decryptFile({ input: 'train.csv.cove', output: 'train.csv', key, expectedContentHash });
 */
export async function decryptFile(params: DecryptFileParameters): Promise<DecryptFileReturnType> {
  const { input, output, ...rest } = params;
  let plaintextBytes = 0;
  const onProgress: DecryptStreamParameters['onProgress'] = (p) => {
    plaintextBytes = p.plaintextBytes;
    rest.onProgress?.(p);
  };
  await writeAtomically(
    decryptStream(createReadStream(input, { highWaterMark: 1024 * 1024 }), { ...rest, onProgress }),
    output,
    rest.signal,
  );
  return { plaintextBytes };
}
