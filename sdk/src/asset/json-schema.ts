/**
 * The asset document's JSON Schema (draft 2020-12), generated from the zod schema with zod's
 * own `z.toJSONSchema`, for readers without Cove's code. `npm run schema` writes it to
 * docs/schema/asset-document.schema.json; a unit test fails when that file is stale.
 */
import { z } from 'zod';
import { ASSET_DOCUMENT_VERSION, assetDocumentSchema } from './schema.js';

/** `$id` of the published schema (a URN: the schema is identified, not fetched). */
export const ASSET_DOCUMENT_SCHEMA_ID = `urn:cove:schema:asset-document:${ASSET_DOCUMENT_VERSION}`;

/** Where the repository keeps the generated schema, relative to its root. */
export const ASSET_DOCUMENT_SCHEMA_PATH = 'docs/schema/asset-document.schema.json';

/** What JSON Schema cannot say and the SDK checks besides (`parseAssetDocument`). */
const NOT_EXPRESSED = [
  'service ids are unique',
  'a compute service needs a computePolicy',
  'lineage is only for kind "model"',
  'computePolicy: exactly one of allowedAlgorithms and allowAnyAlgorithm: true; allowedImages only with allowAnyAlgorithm',
  'allowedAlgorithms[].spec, when given, hashes (algorithmHash) to allowedAlgorithms[].hash',
  'CIDs decode as CIDv1 (the pattern checks the multibase alphabet only)',
  'algorithm spec workingDir is /tmp, /data/outputs or /data/transformations/algorithm[/…]',
  'algorithm spec env entries: NAME=value, sorted by UTF-8 bytes, unique names, no COVE_*; no NUL and well-formed Unicode in arguments',
];

const HAS_LETTER = /[A-Za-z]/;
const swapCase = (c: string) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());

/**
 * A regular expression source matching what `source` matches with the `i` flag, without it
 * (JSON Schema patterns carry no flags). Letters outside classes become `[xX]`, letters and
 * letter ranges inside classes gain their other case. Throws on escapes it cannot fold.
 *
 * @example
 * caseFoldPattern('^[a-z]+/x$'); // '^[a-zA-Z]+/[xX]$'
 */
export function caseFoldPattern(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[pPuxkc]/.test(next)) throw new Error(`caseFoldPattern: cannot fold the escape \\${next} in ${source}`);
      out += c + next;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      const end = source[i + 2];
      if (HAS_LETTER.test(c) && source[i + 1] === '-' && end !== undefined && HAS_LETTER.test(end)) {
        out += `${c}-${end}${swapCase(c)}-${swapCase(end)}`;
        i += 2;
      } else out += HAS_LETTER.test(c) ? c + swapCase(c) : c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else out += HAS_LETTER.test(c) ? `[${c}${swapCase(c)}]` : c;
  }
  return out;
}

type ZodDef = { format?: string; protocol?: unknown; checks?: { _zod: { def: { format?: string; pattern?: unknown } } }[] };

/**
 * Carries over what `z.toJSONSchema` drops: the `i` flag of a pattern (folded into the
 * pattern) and a URL's protocol (as a pattern). Other flags are refused rather than lost.
 */
function override(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  const def = (ctx.zodSchema as { _zod: { def: ZodDef } })._zod.def;
  for (const check of def.checks ?? []) {
    const pattern = check._zod.def.pattern;
    if (!(pattern instanceof RegExp) || pattern.flags === '') continue;
    if (pattern.flags !== 'i') throw new Error(`asset JSON Schema: pattern /${pattern.source}/${pattern.flags} has flags JSON Schema cannot carry`);
    ctx.jsonSchema.pattern = caseFoldPattern(pattern.source);
  }
  if (def.format === 'url' && def.protocol instanceof RegExp) {
    const m = /^\^(.*)\$$/.exec(def.protocol.source);
    if (m === null || def.protocol.flags !== '') throw new Error(`asset JSON Schema: cannot express the URL protocol /${def.protocol.source}/`);
    ctx.jsonSchema.pattern = `^(?:${m[1]}):`;
  }
}

/**
 * The JSON Schema of the asset document as written (`AssetDocumentInput`: fields with
 * defaults may be left out), draft 2020-12, with `$id`, `title` and a `$comment` naming the
 * rules only the SDK checks.
 *
 * @example
 * writeFileSync('asset-document.schema.json', serializeJsonSchema(assetDocumentJsonSchema()));
 */
export function assetDocumentJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(assetDocumentSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw', override });
  const { $schema, ...rest } = generated as Record<string, unknown>;
  return {
    $schema,
    $id: ASSET_DOCUMENT_SCHEMA_ID,
    title: `Cove asset document, version ${ASSET_DOCUMENT_VERSION}`,
    description: 'The JSON document a Cove asset (dataset, algorithm or model) anchors on-chain by CID and sha256. Generated from sdk/src/asset/schema.ts by `npm run schema`; do not edit.',
    $comment: `Also checked by the SDK, not expressed here: ${NOT_EXPRESSED.join('; ')}.`,
    ...rest,
  };
}

/** The bytes the repository keeps: two-space JSON and a final newline. */
export function serializeJsonSchema(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
