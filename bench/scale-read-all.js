// Reads every input file whole (sha256 of each) and writes only the digests: the scale bench's job.
const { createHash } = require('node:crypto');
const { createReadStream, readdirSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

async function main() {
  const root = process.env.COVE_INPUTS || '/data/inputs';
  const out = {};
  const walk = async (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) await walk(path);
      else {
        const hash = createHash('sha256');
        let bytes = 0;
        for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
          hash.update(chunk);
          bytes += chunk.length;
        }
        out[path.slice(root.length + 1)] = { bytes, sha256: hash.digest('hex') };
      }
    }
  };
  await walk(root);
  writeFileSync(join(process.env.COVE_OUTPUTS || '/data/outputs', 'digest.json'), JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
