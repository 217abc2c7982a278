#!/usr/bin/env node
// The `cove` command: runs the TypeScript CLI through tsx (no build step). Plain JavaScript
// that any Node parses, so that an unsupported Node gets one line before anything is imported.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`cove: UNSUPPORTED_NODE: cove needs Node 24 or newer; this is Node ${process.versions.node} (${process.execPath})\n`);
  process.exit(1);
}
const { register } = await import('tsx/esm/api');
register();
await import('../src/cli/main.ts');
