/**
 * Recognising a pickle by walking its opcodes (the part of unsafe-formats.ts that knows the
 * pickle machine): the opcode table with argument formats and stack effects, as Python's
 * pickletools describes them.
 */

const MAX_OPS = 1 << 24;
/** Open marks and memo entries walked before the walk stops (and fails closed: no text gets there). */
const MAX_MARKS = 1 << 20;

const enum Walk {
  Stop,
  Code,
  Eof,
  Error,
  Cap,
}

/**
 * A pickle at the start of `d`: PROTO (`0x80`, protocol ≤ 5) opens one outright; otherwise
 * the opcodes are walked with their argument formats and stack effects. It is one when the
 * walk reaches STOP with exactly one object on the stack after at least three opcodes (a bare
 * `N.` or `(t.` is also ordinary text, and loads no code), or reaches a call (REDUCE, BUILD, INST,
 * OBJ, NEWOBJ) after a global was loaded: unpickling runs that before any later error. In a
 * decompressed head (`complete` false), a walk still valid where the head ends is one too.
 */
export function isPickle(d: Uint8Array, complete: boolean): boolean {
  if (d.length >= 2 && d[0] === 0x80 && d[1]! <= 5) return true;
  const { end, ops } = walkPickle(d);
  if (end === Walk.Code || end === Walk.Cap) return true;
  if (end === Walk.Stop) return ops >= 3;
  if (end === Walk.Eof) return !complete && ops >= 3;
  return false;
}

const FLOAT_LINE = /^[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|inf|nan)$/i;
const DOTTED = /^[A-Za-z_\x80-\xff][A-Za-z0-9_.\x80-\xff]*$/;

function walkPickle(d: Uint8Array): { end: Walk; ops: number } {
  const n = d.length;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const levels: number[] = [0]; // items above each mark; levels[0] is below the first mark
  const memo = new Set<number>();
  let pos = 0;
  let ops = 0;
  let global = false;
  const buf = Buffer.from(d.buffer, d.byteOffset, d.byteLength); // a view, not a copy
  /** The next newline-terminated argument as [start, end) (end at the newline), or null at EOF. */
  const line = (): [number, number] | null => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) return null;
    const at: [number, number] = [pos, nl];
    pos = nl + 1;
    return at;
  };
  /** `[+-]?[0-9]+`, and a trailing `L` when `long` (LONG): without making a string (INT lines can be millions). */
  const decimal = (at: [number, number], long = false): boolean => {
    let [i, e] = at;
    if (long && e > i && d[e - 1] === 0x4c) e--;
    if (i < e && (d[i] === 0x2b || d[i] === 0x2d)) i++;
    if (i >= e) return false;
    for (; i < e; i++) if (d[i]! < 0x30 || d[i]! > 0x39) return false;
    return true;
  };
  /** A short argument line as text; numbers and names are never long. */
  const text = (at: [number, number]): string => (at[1] - at[0] > 256 ? '\n' : buf.toString('latin1', at[0], at[1]));
  const top = () => levels.length - 1;
  const pop = (k: number) => {
    if (levels[top()]! < k) return false;
    levels[top()]! -= k;
    return true;
  };
  const push = (k: number) => {
    levels[top()]! += k;
  };
  const popMark = () => {
    if (levels.length < 2) return false;
    levels.pop();
    return true;
  };
  /** Skips a length-prefixed argument: `size` bytes of length, then that many bytes. */
  const counted = (size: 1 | 2 | 4 | 8, signed = false): Walk | null => {
    if (pos + size > n) return Walk.Eof;
    let len: number;
    if (size === 1) len = d[pos]!;
    else if (size === 2) len = view.getUint16(pos, true);
    else if (size === 4) len = signed ? view.getInt32(pos, true) : view.getUint32(pos, true);
    else {
      const v = view.getBigUint64(pos, true);
      len = v > BigInt(n) ? n + 1 : Number(v);
    }
    if (len < 0) return Walk.Error;
    pos += size;
    if (pos + len > n) return Walk.Eof;
    pos += len;
    return null;
  };
  const fixed = (size: number): Walk | null => {
    if (pos + size > n) return Walk.Eof;
    pos += size;
    return null;
  };

  while (ops < MAX_OPS && memo.size <= MAX_MARKS) {
    if (pos >= n) return { end: Walk.Eof, ops };
    const op = d[pos++]!;
    let r: Walk | null = null;
    let ok = true;
    switch (op) {
      case 0x2e: // . STOP
        return { end: levels.length === 1 && levels[0] === 1 ? Walk.Stop : Walk.Error, ops };
      case 0x28: // ( MARK
        if (levels.length > MAX_MARKS) return { end: Walk.Cap, ops };
        levels.push(0);
        break;
      // Pushes of one object, no argument.
      case 0x29: // ) EMPTY_TUPLE
      case 0x5d: // ] EMPTY_LIST
      case 0x7d: // } EMPTY_DICT
      case 0x4e: // N NONE
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
      case 0x8f: // EMPTY_SET
      case 0x97: // NEXT_BUFFER
        push(1);
        break;
      // Pushes of one object with a fixed-size argument.
      case 0x4a: // J BININT
        r = fixed(4);
        push(1);
        break;
      case 0x4b: // K BININT1
        r = fixed(1);
        push(1);
        break;
      case 0x4d: // M BININT2
        r = fixed(2);
        push(1);
        break;
      case 0x47: // G BINFLOAT
        r = fixed(8);
        push(1);
        break;
      // Length-prefixed strings, bytes and longs.
      case 0x54: // T BINSTRING
        r = counted(4, true);
        push(1);
        break;
      case 0x55: // U SHORT_BINSTRING
      case 0x43: // C SHORT_BINBYTES
      case 0x8c: // SHORT_BINUNICODE
      case 0x8a: // LONG1
        r = counted(1);
        push(1);
        break;
      case 0x58: // X BINUNICODE
      case 0x42: // B BINBYTES
        r = counted(4);
        push(1);
        break;
      case 0x8b: // LONG4
        r = counted(4, true);
        push(1);
        break;
      case 0x8d: // BINUNICODE8
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        r = counted(8);
        push(1);
        break;
      // Newline-terminated arguments.
      case 0x49: // I INT
      case 0x4c: // L LONG
      case 0x46: // F FLOAT
      case 0x53: // S STRING
      case 0x56: // V UNICODE
      case 0x50: {
        // P PERSID
        const at = line();
        if (at === null) r = Walk.Eof;
        else if (op === 0x49) ok = decimal(at);
        else if (op === 0x4c) ok = decimal(at, true);
        else if (op === 0x46) ok = FLOAT_LINE.test(text(at));
        else if (op === 0x53) ok = at[1] - at[0] >= 2 && (d[at[0]] === 0x27 || d[at[0]] === 0x22) && d[at[1] - 1] === d[at[0]];
        if (op === 0x50) global = true; // persistent_load: the loader's code
        push(1);
        break;
      }
      case 0x63: // c GLOBAL
      case 0x69: {
        // i INST
        const mod = line();
        const name = mod === null ? null : line();
        if (mod === null || name === null) r = Walk.Eof;
        else if (!DOTTED.test(text(mod)) || !DOTTED.test(text(name))) ok = false;
        else if (op === 0x69) {
          ok = popMark();
          push(1);
          if (ok) return { end: Walk.Code, ops: ops + 1 };
        } else {
          global = true;
          push(1);
        }
        break;
      }
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        r = fixed(op === 0x82 ? 1 : op === 0x83 ? 2 : 4);
        global = true;
        push(1);
        break;
      case 0x93: // STACK_GLOBAL
        ok = pop(2);
        global = true;
        push(1);
        break;
      // Memo.
      case 0x70: // p PUT
      case 0x67: {
        // g GET
        const at = line();
        if (at === null) r = Walk.Eof;
        else if (!decimal(at) || at[1] - at[0] > 16) ok = false;
        else if (op === 0x70) {
          ok = levels[top()]! >= 1;
          memo.add(Number(text(at)));
        } else {
          ok = memo.has(Number(text(at)));
          push(1);
        }
        break;
      }
      case 0x71: // q BINPUT
      case 0x72: {
        // r LONG_BINPUT
        const size = op === 0x71 ? 1 : 4;
        if (pos + size > n) r = Walk.Eof;
        else {
          memo.add(size === 1 ? d[pos]! : view.getUint32(pos, true));
          pos += size;
          ok = levels[top()]! >= 1;
        }
        break;
      }
      case 0x68: // h BINGET
      case 0x6a: {
        // j LONG_BINGET
        const size = op === 0x68 ? 1 : 4;
        if (pos + size > n) r = Walk.Eof;
        else {
          ok = memo.has(size === 1 ? d[pos]! : view.getUint32(pos, true));
          pos += size;
          push(1);
        }
        break;
      }
      case 0x94: // MEMOIZE
        ok = levels[top()]! >= 1;
        memo.add(memo.size);
        break;
      // Stack shapes.
      case 0x61: // a APPEND
        ok = pop(2);
        push(1);
        break;
      case 0x65: // e APPENDS
      case 0x75: // u SETITEMS
      case 0x90: // ADDITEMS
        ok = popMark() && pop(1);
        push(1);
        break;
      case 0x6c: // l LIST
      case 0x74: // t TUPLE
      case 0x64: // d DICT
      case 0x91: // FROZENSET
        ok = popMark();
        push(1);
        break;
      case 0x31: // 1 POP_MARK
        ok = popMark();
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: // TUPLE3
        ok = pop(op - 0x84);
        push(1);
        break;
      case 0x73: // s SETITEM
        ok = pop(3);
        push(1);
        break;
      case 0x30: // 0 POP
        ok = levels[top()]! > 0 ? pop(1) : popMark();
        break;
      case 0x32: // 2 DUP
        ok = pop(1);
        push(2);
        break;
      case 0x51: // Q BINPERSID
        ok = pop(1);
        global = true;
        push(1);
        break;
      case 0x98: // READONLY_BUFFER
        ok = pop(1);
        push(1);
        break;
      // Calls: code runs here when a global was loaded.
      case 0x52: // R REDUCE
      case 0x62: // b BUILD
      case 0x81: // NEWOBJ
        ok = pop(2);
        push(1);
        if (ok && global) return { end: Walk.Code, ops: ops + 1 };
        break;
      case 0x92: // NEWOBJ_EX
        ok = pop(3);
        push(1);
        if (ok && global) return { end: Walk.Code, ops: ops + 1 };
        break;
      case 0x6f: // o OBJ
        ok = levels[top()]! >= 1 && popMark();
        push(1);
        if (ok && global) return { end: Walk.Code, ops: ops + 1 };
        break;
      // No stack effect.
      case 0x80: // PROTO
        if (pos >= n) r = Walk.Eof;
        else ok = d[pos++]! <= 5;
        break;
      case 0x95: // FRAME
        r = fixed(8);
        break;
      default:
        return { end: Walk.Error, ops };
    }
    if (r !== null) return { end: r, ops };
    if (!ok) return { end: Walk.Error, ops };
    ops++;
  }
  return { end: Walk.Cap, ops };
}
