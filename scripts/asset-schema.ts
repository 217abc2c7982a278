/**
 * Writes docs/schema/asset-document.schema.json from the zod schema (`npm run schema`), or
 * with `--check` exits 1 when the checked-in file differs from what the schema generates.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASSET_DOCUMENT_SCHEMA_PATH, assetDocumentJsonSchema, serializeJsonSchema } from '../sdk/src/asset/json-schema.js';

const path = join(import.meta.dirname, '..', ASSET_DOCUMENT_SCHEMA_PATH);
const generated = serializeJsonSchema(assetDocumentJsonSchema());
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // missing: stale
  }
  if (current !== generated) {
    console.error(`${ASSET_DOCUMENT_SCHEMA_PATH} is stale: run npm run schema`);
    process.exit(1);
  }
  console.log(`${ASSET_DOCUMENT_SCHEMA_PATH} is up to date`);
} else {
  writeFileSync(path, generated);
  console.log(`wrote ${ASSET_DOCUMENT_SCHEMA_PATH}`);
}
