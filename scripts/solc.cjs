#!/usr/bin/env node
// A solc binary for forge, backed by the npm `solc` package (forge cannot download
// compilers here). Answers `--version` and `--standard-json` (input on stdin).
'use strict';
const path = require('node:path');
const solc = require(require.resolve('solc', { paths: [path.join(__dirname, '..')] }));

const args = process.argv.slice(2);
if (args.includes('--version') || args.includes('-v')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('cove solc wrapper: only --version and --standard-json are supported\n');
  process.exit(2);
}

// Allowed roots for imports: --base-path, --include-path and --allow-paths, plus the cwd.
const roots = [process.cwd()];
for (let i = 0; i < args.length; i++) {
  if (['--base-path', '--include-path', '--allow-paths'].includes(args[i]) && args[i + 1]) {
    roots.push(...args[i + 1].split(','));
  }
}
const fs = require('node:fs');
function findImports(p) {
  for (const root of roots) {
    const full = path.resolve(root, p);
    if (fs.existsSync(full)) return { contents: fs.readFileSync(full, 'utf8') };
  }
  return { error: `File not found: ${p}` };
}

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const input = Buffer.concat(chunks).toString('utf8');
  process.stdout.write(solc.compile(input, { import: findImports }));
});
