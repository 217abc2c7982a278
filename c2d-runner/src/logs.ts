import type { ReleasedLogs } from './types.js';

/**
 * Splits Docker's multiplexed log stream (8-byte frame headers: stream type, 3 zero bytes,
 * big-endian length) into stdout and stderr. Input that is not multiplexed (a TTY
 * container) is returned as stdout. A truncated last frame is kept as far as it goes.
 *
 * @example
 * const { stdout, stderr } = demuxLogs(await container.logs({ stdout: true, stderr: true }))
 */
export function demuxLogs(data: Uint8Array): { stdout: Buffer; stderr: Buffer } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const type = buf[at]!;
    if (type > 2 || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) {
      if (at === 0) return { stdout: Buffer.from(buf), stderr: Buffer.alloc(0) };
      break;
    }
    const len = buf.readUInt32BE(at + 4);
    const body = buf.subarray(at + 8, Math.min(buf.length, at + 8 + len));
    (type === 2 ? err : out).push(body);
    at += 8 + len;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

function lastLines(b: Buffer, n: number): { bytes: Buffer; cut: boolean } {
  let end = b.length;
  if (end > 0 && b[end - 1] === 0x0a) end--; // a final newline does not start another line
  let at = end;
  for (let lines = 0; at > 0; ) {
    const nl = b.lastIndexOf(0x0a, at - 1);
    if (++lines === n || nl < 0) {
      at = nl < 0 ? 0 : nl + 1;
      break;
    }
    at = nl;
  }
  return { bytes: b.subarray(at), cut: at > 0 };
}

/**
 * The log tail a policy releases: the last `tail` lines of each stream, then at most
 * `maxBytes` in all (stdout keeps at least half when both streams are long; the oldest
 * bytes go first). `truncated` says whether anything was cut.
 *
 * @example
 * tailLogs(demuxLogs(raw), { tail: 100, maxBytes: 16_384 }) // { stdout, stderr, truncated }
 */
export function tailLogs(streams: { stdout: Buffer; stderr: Buffer }, policy: { tail: number; maxBytes: number }): ReleasedLogs {
  const out = lastLines(streams.stdout, policy.tail);
  const err = lastLines(streams.stderr, policy.tail);
  const errRoom = Math.min(err.bytes.length, Math.max(policy.maxBytes - out.bytes.length, Math.floor(policy.maxBytes / 2)));
  const outRoom = Math.min(out.bytes.length, policy.maxBytes - errRoom);
  return {
    stdout: out.bytes.subarray(out.bytes.length - outRoom).toString('utf8'),
    stderr: err.bytes.subarray(err.bytes.length - errRoom).toString('utf8'),
    truncated: out.cut || err.cut || outRoom < out.bytes.length || errRoom < err.bytes.length,
  };
}
