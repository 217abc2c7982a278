import { randomInt } from 'node:crypto';
import { open } from 'node:fs/promises';

/** Where an output repeats input bytes verbatim. `length` is at least the threshold (a lower bound of the run). */
export type LeakFinding = { output: string; outputOffset: number; input: string; inputOffset: number; length: number };

export type LeakScanResult =
  | { verdict: 'clean'; scannedBytes: number }
  | { verdict: 'leak'; finding: LeakFinding; scannedBytes: number }
  | { verdict: 'budget_exceeded'; scannedBytes: number };

/** Runs whose bytes repeat with a period this short (padding, separators) carry no data and are not counted. */
export const MAX_IGNORED_PERIOD = 8;
const CHUNK = 1 << 20;

type Output = { name: string; data: Uint8Array };

/**
 * An index of the outputs' k-grams (k = ⌊T/2⌋) at every s-th offset (s = T − k + 1), so
 * every output window of T bytes holds exactly one indexed k-gram. Inputs are then
 * streamed past it at every offset with a rolling hash; each hit is verified byte by byte
 * and extended to decide whether the shared run reaches T. Memory is ~20 bytes per
 * indexed k-gram (≈ 0.6 bytes per output byte for T = 64) and nothing per input byte.
 */
export type LeakIndex = {
  readonly minRunBytes: number;
  /** A streaming scanner for one input file: feed its bytes in order, then `end()`. */
  scanner(inputName: string): { feed(chunk: Uint8Array): void; end(): void };
  /** The first leak found, if any. */
  readonly finding: LeakFinding | null;
  /** True once verification work went past its budget (adversarial repetition): callers must fail closed. */
  readonly budgetExceeded: boolean;
  readonly scannedBytes: number;
};

function periodOf(data: Uint8Array, start: number, length: number): number {
  for (let p = 1; p <= MAX_IGNORED_PERIOD && p < length; p++) {
    let ok = true;
    for (let i = start + p; i < start + length; i++) {
      if (data[i] !== data[i - p]) {
        ok = false;
        break;
      }
    }
    if (ok) return p;
  }
  return 0;
}

/**
 * Rolls the k-gram hash from `state = [li, h]` up to `last`, stopping at the first
 * position whose hash is in the table (returns true, state at that position) or past
 * `last` (returns false, state one past it with the hash rolled when bytes allowed).
 */
function advance(b: Uint8Array, last: number, g: Geometry, state: Int32Array): boolean {
  const { k, B, Bk1, filter, fshift, slotHead, slotKey, mask, shift } = g;
  let li = state[0]!;
  let hh = state[1]!;
  const len = b.length;
  for (; li <= last; li++) {
    // A sparse bit filter first: its test is almost always false, so the branch predicts well.
    const f = Math.imul(hh, -1640531535) >>> fshift;
    if ((filter[f >>> 5]! & (1 << (f & 31))) !== 0) {
      let slot = Math.imul(hh, -1640531535) >>> shift;
      while (slotHead[slot] !== 0) {
        if (slotKey[slot] === hh) {
          state[0] = li;
          state[1] = hh;
          return true;
        }
        slot = (slot + 1) & mask;
      }
    }
    if (li + k < len) hh = (Math.imul((hh - Math.imul(b[li]!, Bk1)) | 0, B) + b[li + k]!) | 0;
  }
  state[0] = li;
  state[1] = hh;
  return false;
}

type Geometry = {
  k: number;
  B: number;
  Bk1: number;
  filter: Int32Array;
  fshift: number;
  slotHead: Int32Array;
  slotKey: Int32Array;
  mask: number;
  shift: number;
};

/**
 * Builds the index over the outputs to release (files and released log text).
 *
 * @example
 * const index = createLeakIndex({ outputs: [{ name: 'model.pkl', data }], minRunBytes: 64 })
 * const s = index.scanner('dataset.csv'); s.feed(bytes); s.end()
 * if (index.finding) reject(index.finding)
 */
export function createLeakIndex(params: {
  outputs: readonly Output[];
  minRunBytes: number;
  /** Verification work allowed: `base + perByte × (output + scanned input bytes)` byte comparisons. */
  workBudget?: { base: number; perByte: number };
}): LeakIndex {
  const T = params.minRunBytes;
  const k = Math.max(4, Math.floor(T / 2));
  const s = T - k + 1;
  const ext = T - k;
  const outputs = params.outputs;
  const B = (randomInt(1 << 30) * 2 + 1) >>> 0; // random odd base: collisions cannot be precomputed
  let Bk1 = 1;
  for (let i = 0; i < k - 1; i++) Bk1 = Math.imul(Bk1, B);
  const hashAt = (d: Uint8Array, at: number, len: number, base: number) => {
    let h = 0;
    for (let i = 0; i < len; i++) h = (Math.imul(h, base) + d[at + i]!) | 0;
    return h;
  };

  let count = 0;
  for (const o of outputs) if (o.data.length >= T) count += Math.floor((o.data.length - k) / s) + 1;
  let bits = 4;
  while (1 << bits < count * 2) bits++;
  const mask = (1 << bits) - 1;
  const slotKey = new Int32Array(1 << bits);
  const slotHead = new Int32Array(1 << bits); // entry index + 1; 0 = empty
  const entOut = new Int32Array(count);
  const entPos = new Int32Array(count);
  const entNext = new Int32Array(count);
  let fbits = 5;
  while (1 << fbits < count * 32 && fbits < 30) fbits++;
  const filter = new Int32Array((1 << fbits) >>> 5);
  const slotOf = (h: number) => Math.imul(h, -1640531535) >>> (32 - bits);
  let n = 0;
  // Periodic k-grams (zero padding, repeated separators) recur; keep one per distinct context.
  const periodicSeen = new Set<string>();
  for (let oi = 0; oi < outputs.length; oi++) {
    const d = outputs[oi]!.data;
    if (d.length < T) continue;
    for (let j = 0; j + k <= d.length; j += s) {
      const h = hashAt(d, j, k, B);
      if (periodOf(d, j, k) !== 0) {
        const from = Math.max(0, j - ext);
        const to = Math.min(d.length, j + k + ext);
        const key = `${h}:${j - from}:${to - from}:${hashAt(d, from, to - from, 0x01000193)}:${hashAt(d, from, to - from, B ^ 0x5bd1e995)}`;
        if (periodicSeen.has(key)) continue;
        periodicSeen.add(key);
      }
      let slot = slotOf(h);
      while (slotHead[slot] !== 0 && slotKey[slot] !== h) slot = (slot + 1) & mask;
      slotKey[slot] = h;
      const f = Math.imul(h, -1640531535) >>> (32 - fbits);
      filter[f >>> 5] = filter[f >>> 5]! | (1 << (f & 31));
      entOut[n] = oi;
      entPos[n] = j;
      entNext[n] = slotHead[slot]! - 1;
      slotHead[slot] = n + 1;
      n++;
    }
  }

  const geometry: Geometry = { k, B, Bk1, filter, fshift: 32 - fbits, slotHead, slotKey, mask, shift: 32 - bits };
  let finding: LeakFinding | null = null;
  let budgetExceeded = false;
  let scannedBytes = 0;
  let work = 0;
  const totalOut = outputs.reduce((a, o) => a + o.data.length, 0);
  const { base: budgetBase, perByte } = params.workBudget ?? { base: 10_000_000, perByte: 64 };
  const budget = () => budgetBase + perByte * (totalOut + scannedBytes);

  /** Checks input buf[li..] (global offset gi) against the chain for hash h. */
  function verify(h: number, buf: Uint8Array, li: number, gi: number, inputName: string): void {
    let slot = slotOf(h);
    while (slotHead[slot] !== 0 && slotKey[slot] !== h) slot = (slot + 1) & mask;
    for (let e = slotHead[slot]! - 1; e >= 0; e = entNext[e]!) {
      const o = outputs[entOut[e]!]!;
      const d = o.data;
      const j = entPos[e]!;
      work += k;
      let same = true;
      for (let x = 0; x < k; x++) {
        if (buf[li + x] !== d[j + x]) {
          same = false;
          break;
        }
      }
      if (!same) continue;
      let b = 0;
      while (b < ext && li - 1 - b >= 0 && j - 1 - b >= 0 && buf[li - 1 - b] === d[j - 1 - b]) b++;
      let f = 0;
      while (f < ext && li + k + f < buf.length && j + k + f < d.length && buf[li + k + f] === d[j + k + f]) f++;
      work += b + f;
      const len = b + k + f;
      if (len >= T && periodOf(d, j - b, len) === 0) {
        finding = { output: o.name, outputOffset: j - b, input: inputName, inputOffset: gi - b, length: len };
        return;
      }
    }
    if (work > budget()) budgetExceeded = true;
  }

  return {
    minRunBytes: T,
    get finding() {
      return finding;
    },
    get budgetExceeded() {
      return budgetExceeded;
    },
    get scannedBytes() {
      return scannedBytes;
    },
    scanner(inputName) {
      if (n === 0) return { feed: (chunk) => void (scannedBytes += chunk.length), end: () => {} };
      let buf: Uint8Array = new Uint8Array(0);
      let base = 0; // global offset of buf[0]
      let i = 0; // next k-gram start, global
      let h = 0;
      let hValid = false;
      const state = new Int32Array(2);
      const run = (final: boolean) => {
        const b = buf;
        const len = b.length;
        const last = len - (final ? k : T); // last local k-gram start to scan now
        let li = i - base;
        if (li > last) return;
        if (!hValid) h = hashAt(b, li, k, B);
        while (li <= last) {
          // The hot loop is a plain function over locals; hits come back here to be verified.
          state[0] = li;
          state[1] = h;
          const hit = advance(b, last, geometry, state);
          li = state[0]!;
          h = state[1]!;
          if (!hit) break;
          verify(h, b, li, li + base, inputName);
          if (finding !== null || budgetExceeded) break;
          if (li + k < len) h = (Math.imul((h - Math.imul(b[li]!, Bk1)) | 0, B) + b[li + k]!) | 0;
          li++;
        }
        hValid = li - 1 + k < len; // the last step rolled the hash only when the next byte was there
        i = li + base;
        // Keep what the next positions still need: `ext` bytes of left context and the unscanned tail.
        const keep = Math.max(0, i - ext - base);
        if (keep > 0) {
          buf = buf.subarray(keep);
          base += keep;
        }
      };
      return {
        feed(chunk) {
          if (finding !== null || budgetExceeded) return;
          scannedBytes += chunk.length;
          const next = new Uint8Array(buf.length + chunk.length);
          next.set(buf, 0);
          next.set(chunk, buf.length);
          buf = next;
          run(false);
        },
        end() {
          if (finding !== null || budgetExceeded) return;
          run(true);
          buf = new Uint8Array(0);
        },
      };
    },
  };
}

/**
 * Streams each input file through the index and returns the verdict. Files are scanned
 * separately: a run that spans two input files, or two output files, is two runs.
 *
 * @example
 * const r = await scanForLeaks({ outputs, inputs: [{ name: 'a/data.csv', path: '/plain/data.csv' }], minRunBytes: 64 })
 */
export async function scanForLeaks(params: {
  outputs: readonly Output[];
  inputs: ReadonlyArray<{ name: string; path: string }>;
  minRunBytes: number;
  workBudget?: { base: number; perByte: number };
  signal?: AbortSignal;
}): Promise<LeakScanResult> {
  const index = createLeakIndex(params);
  const chunk = new Uint8Array(CHUNK);
  for (const input of params.inputs) {
    params.signal?.throwIfAborted();
    const fh = await open(input.path, 'r');
    try {
      const scanner = index.scanner(input.name);
      for (;;) {
        const { bytesRead } = await fh.read(chunk, 0, CHUNK, null);
        if (bytesRead === 0) break;
        scanner.feed(chunk.subarray(0, bytesRead));
        if (index.finding || index.budgetExceeded) break;
      }
      scanner.end();
    } finally {
      await fh.close();
    }
    if (index.finding) return { verdict: 'leak', finding: index.finding, scannedBytes: index.scannedBytes };
    if (index.budgetExceeded) return { verdict: 'budget_exceeded', scannedBytes: index.scannedBytes };
  }
  return { verdict: 'clean', scannedBytes: index.scannedBytes };
}
