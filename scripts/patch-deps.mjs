// Fixes, in every installed copy of protons-runtime, the uint64 varint writer's signed
// comparison: LongBits keeps its low word as a signed int32, so for values in [2^31, 2^32)
// `val.lo > 127` is false and one byte is written where five were reserved. UnixFS file sizes
// (ipfs-unixfs marshals `fileSize` and `blockSizes` with it) between 2 and 4 GiB then encode
// as garbage: a wrong size, or a root that fails to decode. Present in every release up to
// 8.0.1; the fix is the unsigned comparison upstream would make. Idempotent; run by npm as
// the root package's postinstall. sdk/src/storage/unixfs-size.test.ts fails without it.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BROKEN = 'while (val.lo > 127) {\n        buf[pos++] = val.lo & 127 | 128;\n        val.lo = val.lo >>> 7;';
const FIXED = 'while (val.lo >>> 0 > 127) {\n        buf[pos++] = val.lo & 127 | 128;\n        val.lo = val.lo >>> 7;';

/** Every installed copy's writer, found through nested node_modules (plain fs: any Node npm runs this with). */
function writers(nm, found = []) {
  if (!existsSync(nm)) return found;
  for (const name of readdirSync(nm)) {
    const dirs = name.startsWith('@') ? readdirSync(join(nm, name)).map((s) => join(nm, name, s)) : [join(nm, name)];
    for (const dir of dirs) {
      const writer = join(dir, 'dist/src/utils/writer.js');
      if (name === 'protons-runtime' && existsSync(writer)) found.push(writer);
      writers(join(dir, 'node_modules'), found);
    }
  }
  return found;
}

let patched = 0;
let fine = 0;
const unknown = [];
for (const path of writers(join(root, 'node_modules'))) {
  const file = path.slice(root.length + 1);
  const text = readFileSync(path, 'utf8');
  if (text.includes(FIXED)) fine++;
  else if (text.includes(BROKEN)) {
    writeFileSync(path, text.replace(BROKEN, FIXED));
    patched++;
  } else unknown.push(file);
}
console.log(`patch-deps: protons-runtime uint64 varint fix: ${patched} patched, ${fine} already fixed${unknown.length ? `, ${unknown.length} of another shape (left alone: ${unknown.join(', ')})` : ''}`);
