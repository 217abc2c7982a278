/**
 * The worker_threads entry of the output check (output-check.ts starts it): runs
 * `applyOutputPolicy` or `guardFailedLogs` whole, off the embedding process's main thread,
 * and posts the verdict back. Released file bytes go back by transfer, not copy. A thrown
 * error goes back as its code only (`ENOENT`, …): its message may quote a path.
 */
import { parentPort } from 'node:worker_threads';
import { applyOutputPolicy, guardFailedLogs } from './output-policy.js';
import type { CheckReply, CheckRequest } from './output-check.js';

const port = parentPort;
if (!port) throw new Error('policy-worker.ts runs as a worker thread only');

/** A code safe to show: identifier-like (`ENOENT`, `ERR_…`), never a message. */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : undefined;
}

port.on('message', async (req: CheckRequest) => {
  let reply: CheckReply;
  const transfer: ArrayBuffer[] = [];
  try {
    if (req.op === 'logs') {
      reply = { ok: true, op: 'logs', result: await guardFailedLogs(req.params) };
    } else {
      const v = await applyOutputPolicy(req.params);
      if (v.verdict === 'rejected') reply = { ok: true, op: 'outputs', result: v };
      else {
        const seen = new Set<ArrayBuffer>();
        const files: Array<[string, Uint8Array]> = [];
        for (const [path, buf] of v.outputs.files) {
          // A Buffer that owns its whole ArrayBuffer moves as is; a slice of a shared one (the pool) is copied once, here.
          const owned = buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer && !seen.has(buf.buffer);
          const bytes = owned ? new Uint8Array(buf.buffer) : new Uint8Array(buf);
          seen.add(bytes.buffer as ArrayBuffer);
          transfer.push(bytes.buffer as ArrayBuffer);
          files.push([path, bytes]);
        }
        reply = { ok: true, op: 'outputs', result: { verdict: 'released', manifest: v.outputs.manifest, files } };
      }
    }
  } catch (err) {
    const code = codeOf(err);
    reply = { ok: false, ...(code && { code }) };
  }
  port.postMessage(reply, transfer);
});
