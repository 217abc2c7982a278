import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import { TEST_IMAGES } from '../../test/lib/images.js';
import { MAX_ZIP_ENTRIES, unsafeFormatOf } from './unsafe-formats.js';

/** Real bytes from Python: pickles of every protocol, joblib, torch-style zips, .npy/.npz; and safe look-alikes. */
const GENERATE = String.raw`
import base64, collections, gzip, io, json, pickle, zipfile, zlib
import numpy as np
unsafe, safe = {}, {}
model = {'weights': [0.5, -1.25, 3.0], 'bias': 0.1, 'classes': ('a', 'b'), 'meta': collections.OrderedDict(x=1)}
for p in range(6):
    unsafe['pickle protocol %d' % p] = (pickle.dumps(model, protocol=p), 'pickle')
unsafe['data-only pickle protocol 0'] = (pickle.dumps({'a': [1, 2.5, 'x']}, protocol=0), 'pickle')
unsafe['data-only pickle protocol 1'] = (pickle.dumps([1, 2, 3], protocol=1), 'pickle')
class Boom:
    def __reduce__(self):
        return (print, ('loaded',))
# pickle.loads runs print() before it fails on the junk: a pickle all the same.
unsafe['protocol 0 REDUCE, then junk instead of STOP'] = (pickle.dumps(Boom(), protocol=0)[:-1] + b'\nnot pickle', 'pickle')
unsafe['gzip pickle'] = (gzip.compress(pickle.dumps(model, protocol=4)), 'compressed pickle')
unsafe['zlib pickle'] = (zlib.compress(pickle.dumps(model, protocol=4)), 'compressed pickle')
unsafe['gzip protocol 0 pickle'] = (gzip.compress(pickle.dumps(model, protocol=0)), 'compressed pickle')
try:
    import joblib
    b = io.BytesIO(); joblib.dump(model, b); unsafe['joblib'] = (b.getvalue(), 'pickle')
    b = io.BytesIO(); joblib.dump(model, b, compress=3); unsafe['joblib compress=3'] = (b.getvalue(), 'compressed pickle')
    b = io.BytesIO(); joblib.dump(model, b, compress='gzip'); unsafe['joblib compress=gzip'] = (b.getvalue(), 'compressed pickle')
except ImportError:
    pass
def torch_zip(pkl_name, compression):
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', compression) as z:
        z.writestr('archive/' + pkl_name, pickle.dumps(model, protocol=2))
        z.writestr('archive/data/0', bytes(range(256)) * 4)
        z.writestr('archive/version', '3\n')
    return b.getvalue()
unsafe['torch-style zip (archive/data.pkl, stored)'] = (torch_zip('data.pkl', zipfile.ZIP_STORED), 'pickle in a zip archive')
unsafe['zip holding a deflated pickle under another name'] = (torch_zip('weights.bin', zipfile.ZIP_DEFLATED), 'pickle in a zip archive')
b = io.BytesIO(); np.save(b, np.array([{'a': 1}, None], dtype=object), allow_pickle=True); unsafe['object .npy'] = (b.getvalue(), 'numpy object array')
b = io.BytesIO(); np.save(b, np.zeros(2, dtype=[('w', '<f8'), ('o', 'O')]), allow_pickle=True); unsafe['structured .npy with an object field'] = (b.getvalue(), 'numpy object array')
b = io.BytesIO(); np.savez(b, a=np.array([1, None], dtype=object)); unsafe['.npz of an object array'] = (b.getvalue(), 'numpy object array in a zip archive')
b = io.BytesIO(); np.save(b, np.arange(10.0)); safe['float .npy'] = b.getvalue()
b = io.BytesIO(); np.savez_compressed(b, a=np.arange(1000.0), b=np.ones((4, 4))); safe['compressed .npz of floats'] = b.getvalue()
b = io.BytesIO()
with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('weights.json', json.dumps({'w': list(range(500))}))
    z.writestr('meta.json', '{"name": "m"}')
safe['zip of JSON files'] = b.getvalue()
safe['gzip of a CSV'] = gzip.compress(b'id,x,y\n' + b''.join(b'%d,%f,%f\n' % (i, i / 3, i / 7) for i in range(2000)))
b64 = lambda v: base64.b64encode(v).decode()
print(json.dumps({'unsafe': {k: [b64(v), label] for k, (v, label) in unsafe.items()}, 'safe': {k: b64(v) for k, v in safe.items()}}))
`;

/** Host python3 with numpy when there is one, else the local python image (no network either way). */
function fromPython(): { unsafe: Record<string, [string, string]>; safe: Record<string, string> } {
  let out: string;
  try {
    out = execFileSync('python3', ['-c', GENERATE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    out = execFileSync('docker', ['run', '--rm', '--network', 'none', '-i', TEST_IMAGES.python, 'python3', '-'], { input: GENERATE, encoding: 'utf8' });
  }
  return JSON.parse(out);
}

/** A minimal ZIP writer: local headers, central directory, end record (CRCs zero: the sniffer does not check them). */
function zip(entries: Array<{ name: string; data: Uint8Array; method?: 0 | 8 | 12; flags?: number; deflated?: boolean }>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const method = e.deflated ? 8 : (e.method ?? 0);
    const body = method === 8 && !e.deflated ? deflateRawSync(e.data) : Buffer.from(e.data);
    const name = Buffer.from(e.name);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(e.flags ?? 0, 6);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(e.flags ?? 0, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, body);
    central.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Deterministic "random" bytes (xorshift32), so the test cannot flake on a lucky prefix. */
function noise(n: number, seed = 0x9e3779b9): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** A safetensors-like file: 8-byte little-endian header length, a JSON header, raw float32s. */
function safetensors(): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, __metadata__: { format: 'pt' } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.from(new Float32Array([1, 2, 3, 4]).buffer)]);
}

/** ONNX-like protobuf: ir_version (field 1 varint), producer_name (field 2), a graph (field 7) holding floats. */
function onnxLike(): Buffer {
  const producer = Buffer.from('pytorch');
  const floats = Buffer.from(new Float32Array([0.5, -1, 2.25, 3]).buffer);
  const graph = Buffer.concat([Buffer.from([0x0a, 0x01, 0x67, 0x2a, floats.length + 2, 0x52, floats.length]), floats]);
  return Buffer.concat([Buffer.from([0x08, 0x07, 0x12, producer.length]), producer, Buffer.from([0x3a, graph.length]), graph]);
}

const PICKLE = Buffer.from([0x80, 0x04, 0x95, 0x06, 0, 0, 0, 0, 0, 0, 0, 0x8c, 0x01, 0x61, 0x94, 0x2e]); // protocol 4, 'a'

describe('unsafeFormatOf', () => {
  let fx: ReturnType<typeof fromPython>;
  before(() => {
    fx = fromPython();
  });

  it("finds Python's pickles of every protocol, joblib, compressed, zipped and object-array files by content", () => {
    for (const p of [0, 1, 2, 3, 4, 5]) assert.ok(fx.unsafe[`pickle protocol ${p}`], `protocol ${p} generated`);
    for (const [name, [b64, label]] of Object.entries(fx.unsafe)) {
      assert.equal(unsafeFormatOf(Buffer.from(b64, 'base64')), label, name);
    }
  });

  it('passes safe formats: JSON, CSV, text, float .npy, compressed .npz of floats, a zip of JSON, gzip CSV, safetensors, ONNX, random, empty', () => {
    for (const [name, b64] of Object.entries(fx.safe)) assert.equal(unsafeFormatOf(Buffer.from(b64, 'base64')), null, name);
    const safe: Record<string, Uint8Array> = {
      json: Buffer.from(JSON.stringify({ weights: [[0.5, -1.25], [3, 4]], bias: 0.1 })),
      csv: Buffer.from('id,x,label\n1,0.5,a\n2,0.25,b\n'),
      'text with pickle-ish openings': Buffer.from('N.B. the model is in weights.json.\n'),
      'text opening (t.': Buffer.from('(t.b.d.) notes\n'),
      'a word list opening with c': Buffer.from('cat\ndog\nbird\n'),
      'markdown with Python': Buffer.from('# Model\n\n```python\nimport pickle\npickle.loads(data)\n```\n'),
      safetensors: safetensors(),
      onnx: onnxLike(),
      random: noise(64 * 1024),
      empty: new Uint8Array(0),
      'a pickle after a prefix (not a pickle file)': Buffer.concat([Buffer.from('{"x": 1}\n'), PICKLE]),
      'gzip bomb of zeros (nothing unsafe in it)': gzipSync(Buffer.alloc(64 << 20)),
    };
    for (const [name, data] of Object.entries(safe)) assert.equal(unsafeFormatOf(data), null, name);
  });

  it('reads zips by their central directory: names, stored and deflated heads, prefixed archives', () => {
    const json = Buffer.from('{"w":[1,2,3]}');
    assert.equal(unsafeFormatOf(zip([{ name: 'a.json', data: json }, { name: 'model/x.pkl', data: json }])), 'pickle in a zip archive', 'by entry name');
    assert.equal(unsafeFormatOf(zip([{ name: 'a.json', data: json }, { name: 'b.bin', data: PICKLE, method: 8 }])), 'pickle in a zip archive', 'deflated head');
    assert.equal(unsafeFormatOf(zip([{ name: 'inner.gz', data: gzipSync(PICKLE) }])), 'pickle in a zip archive', 'gzip inside a zip');
    assert.equal(unsafeFormatOf(Buffer.concat([Buffer.from('#!/bin/sh\n'), zip([{ name: 'b.bin', data: PICKLE }])])), 'pickle in a zip archive', "a prefixed zip, as Python's zipfile reads it");
    assert.equal(unsafeFormatOf(zip([{ name: 'a.json', data: json, method: 8 }])), null);
    assert.equal(unsafeFormatOf(zip([])), null, 'an empty zip');
  });

  it('finds a pickle behind a gzip header padded with a long file name, and behind a bomb', () => {
    const named = gzipSync(Buffer.concat([PICKLE, Buffer.alloc(32 << 20)]));
    // FNAME: set FLG.FNAME and put 8 KiB of name between the header and the deflate data.
    const padded = Buffer.concat([named.subarray(0, 3), Buffer.from([0x08]), named.subarray(4, 10), Buffer.alloc(8192, 0x61), Buffer.from([0]), named.subarray(10)]);
    const t = performance.now();
    assert.equal(unsafeFormatOf(named), 'compressed pickle');
    assert.equal(unsafeFormatOf(padded), 'compressed pickle');
    assert.ok(performance.now() - t < 3000, 'bounded');
  });

  it('fails closed on archives it cannot inspect: truncated, too many entries, lying counts, encrypted, other methods, bombs; bounded in time', () => {
    const json = Buffer.from('{"w":1}');
    const good = zip([{ name: 'a.json', data: json }]);
    const lying = Buffer.from(good);
    lying.writeUInt16LE(0xffff, good.length - 22 + 10); // 65535 entries claimed, one present
    const many = zip(Array.from({ length: MAX_ZIP_ENTRIES + 1 }, (_, i) => ({ name: `${i}.json`, data: json })));
    const cases: Record<string, Uint8Array> = {
      truncated: good.subarray(0, 40),
      'lying entry count': lying,
      'more entries than the bound': many,
      encrypted: zip([{ name: 'a.bin', data: json, flags: 1 }]),
      'bzip2 method': zip([{ name: 'a.bin', data: json, method: 12 }]),
      'a corrupt deflated entry': (() => {
        const z = zip([{ name: 'a.bin', data: json, method: 8 }]);
        z[30 + 5] = 0xff; // the first byte of the deflate data: an invalid block type
        return z;
      })(),
    };
    for (const [name, data] of Object.entries(cases)) {
      const t = performance.now();
      assert.equal(unsafeFormatOf(data), 'uninspectable archive', name);
      assert.ok(performance.now() - t < 3000, `${name}: bounded`);
    }
    // Deflate bombs inside a zip: each entry is only read to a head; zeros are safe, a pickle head is not.
    const bomb = deflateRawSync(Buffer.alloc(64 << 20));
    const t = performance.now();
    assert.equal(unsafeFormatOf(zip(Array.from({ length: 8 }, (_, i) => ({ name: `${i}.bin`, data: bomb, deflated: true })))), null);
    const pickleBomb = deflateRawSync(Buffer.concat([PICKLE, Buffer.alloc(16 << 20)]));
    assert.equal(unsafeFormatOf(zip([{ name: 'z.bin', data: bomb, deflated: true }, { name: 'p.bin', data: pickleBomb, deflated: true }])), 'pickle in a zip archive');
    assert.ok(performance.now() - t < 3000, 'bombs: bounded');
  });

  it('refuses compression Node cannot read here (xz, bzip2, lz4, zstd), which joblib.load opens by its magic', () => {
    const magics = {
      xz: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
      bzip2: [0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59],
      lz4: [0x04, 0x22, 0x4d, 0x18],
      zstd: [0x28, 0xb5, 0x2f, 0xfd],
    };
    for (const [name, m] of Object.entries(magics)) assert.equal(unsafeFormatOf(Buffer.concat([Buffer.from(m), noise(64)])), 'uninspectable compressed data', name);
    assert.equal(unsafeFormatOf(Buffer.from('BZh9 is not bzip2 without its block magic')), null);
  });

  it('walks protocol 0/1 opcodes strictly: truncated or ill-formed streams are not pickles', () => {
    const p0 = Buffer.from(fx.unsafe['data-only pickle protocol 0']![0], 'base64');
    assert.equal(unsafeFormatOf(p0.subarray(0, p0.length - 1)), null, 'no STOP, no code');
    assert.equal(unsafeFormatOf(Buffer.from('I1\n.')), null, 'a lone scalar: also text, loads no code');
    assert.equal(unsafeFormatOf(Buffer.from('g0\n.')), null, 'GET of a memo key never stored');
    assert.equal(unsafeFormatOf(Buffer.from('(lp0\nI1\naI2\na.')), 'pickle');
    assert.equal(unsafeFormatOf(Buffer.from("cos\nsystem\n(S'true'\ntR.")), 'pickle', 'the classic');
    assert.equal(unsafeFormatOf(Buffer.from("cos\nsystem\n(S'true'\ntR")), 'pickle', 'runs before the missing STOP matters');
  });
});
