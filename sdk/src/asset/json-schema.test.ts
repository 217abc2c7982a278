import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ASSET_DOCUMENT_SCHEMA_ID, ASSET_DOCUMENT_SCHEMA_PATH, assetDocumentJsonSchema, caseFoldPattern, serializeJsonSchema } from './json-schema.js';
import { contentSchema } from './schema.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** The schema node at a path of property names (through `properties`). */
function at(schema: Record<string, unknown>, ...names: string[]): Record<string, unknown> {
  return names.reduce((node, n) => (node.properties as Record<string, Record<string, unknown>>)[n]!, schema);
}

describe('asset document JSON Schema', () => {
  it('the checked-in docs/schema file is what the zod schema generates (run `npm run schema` after changing schema.ts)', () => {
    const checkedIn = readFileSync(join(ROOT, ASSET_DOCUMENT_SCHEMA_PATH), 'utf8');
    const generated = serializeJsonSchema(assetDocumentJsonSchema());
    const firstDiff = [...generated].findIndex((c, i) => c !== checkedIn[i]);
    assert.ok(checkedIn === generated, `${ASSET_DOCUMENT_SCHEMA_PATH} is stale from character ${firstDiff}: run npm run schema`);
  });

  it('is draft 2020-12 with $id and title, and requires what the document requires', () => {
    const s = assetDocumentJsonSchema();
    assert.equal(s.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(s.$id, ASSET_DOCUMENT_SCHEMA_ID);
    assert.match(String(s.title), /asset document, version 2/);
    assert.equal(s.additionalProperties, false);
    assert.deepEqual(s.required, ['version', 'name', 'description', 'tags', 'license', 'kind', 'content', 'provider', 'services', 'created']);
    // A field with a zod default is optional as written (io: input).
    const leakGuard = at(s, 'computePolicy', 'outputPolicy', 'leakGuard');
    assert.deepEqual(leakGuard.required, ['enabled']);
  });

  it('keeps what z.toJSONSchema drops: the MIME pattern case-insensitive, the URL protocol, the CID alphabet', () => {
    const s = assetDocumentJsonSchema();
    const mime = new RegExp(String(at(s, 'content', 'type').pattern));
    for (const type of ['text/csv', 'Text/CSV', 'application/vnd.ms-excel']) {
      assert.equal(mime.test(type), true, type);
      assert.equal(contentSchema.shape.type.safeParse(type).success, true, type);
    }
    for (const type of ['csv', '/csv', 'text/']) {
      assert.equal(mime.test(type), false, type);
      assert.equal(contentSchema.shape.type.safeParse(type).success, false, type);
    }
    const url = new RegExp(String(at(s, 'provider', 'url').pattern));
    assert.equal(url.test('https://p.example'), true);
    assert.equal(url.test('ftp://p.example'), false);
    const cid = new RegExp(String(at(s, 'content', 'encryptedContentCid').pattern));
    assert.equal(cid.test('bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'), true);
    assert.equal(cid.test('QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG'), false);
  });
});

describe('caseFoldPattern', () => {
  it('folds letters outside and inside classes, keeps escapes and non-letter ranges', () => {
    assert.equal(caseFoldPattern('^[a-z0-9]+/x$'), '^[a-zA-Z0-9]+/[xX]$');
    assert.equal(caseFoldPattern('^\\d[b_]\\/$'), '^\\d[bB_]\\/$');
    assert.equal(caseFoldPattern('[!-z]'), '[!-zZ]');
  });

  it('refuses escapes it cannot fold', () => {
    assert.throws(() => caseFoldPattern('^\\p{L}$'), /cannot fold/);
  });
});
