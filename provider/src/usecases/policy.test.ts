import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Environment } from '../config.js';
import type { AssetView, OutputPolicyView } from '../ports.js';
import { defaultReleaseBudget, effectiveJobPolicy, RELEASE_BUDGET_FLOOR } from './policy.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const env: Environment = { id: 'default', cpus: 2, memoryBytes: 2 ** 30, timeoutSeconds: 600, pidsLimit: 128, outputBytes: 64 * MiB, images: [] };

function dataset(size: number, output: Partial<OutputPolicyView> = {}): AssetView {
  return {
    provider: { address: '0x0000000000000000000000000000000000000001' },
    services: [{ id: '1', type: 'compute' }],
    compute: {
      allowedAlgorithms: ['ab'.repeat(32)],
      allowAnyAlgorithm: false,
      allowedImages: [],
      limits: { cpus: 1, memoryBytes: 2 ** 29, timeoutSeconds: 60, pidsLimit: 64, outputBytes: 16 * MiB },
      output: { maxBytes: 16 * MiB, allowedPatterns: ['*.json'], logs: { tail: 20 }, leakGuard: { enabled: true, minRunBytes: 64 }, ...output },
    },
    content: { encryptedContentCid: 'bafy', sealedKey: 'cove-seal-v2:x', contentHash: 'cd'.repeat(32), fileName: 'data.csv', size },
  };
}

describe('release budget', () => {
  it('defaults to 1% of the plaintext, at least 64 KiB, never above maxBytes', () => {
    assert.equal(RELEASE_BUDGET_FLOOR, 64 * KiB);
    assert.equal(defaultReleaseBudget({ plaintextBytes: 0, maxBytes: MiB }), 64 * KiB);
    assert.equal(defaultReleaseBudget({ plaintextBytes: 6_553_600, maxBytes: MiB }), 64 * KiB, 'exactly at the floor');
    assert.equal(defaultReleaseBudget({ plaintextBytes: 6_553_700, maxBytes: MiB }), 65_537);
    assert.equal(defaultReleaseBudget({ plaintextBytes: 1e9, maxBytes: 64 * MiB }), 10_000_000);
    assert.equal(defaultReleaseBudget({ plaintextBytes: 1e10, maxBytes: 64 * MiB }), 64 * MiB, 'capped by maxBytes');
    assert.equal(defaultReleaseBudget({ plaintextBytes: 100, maxBytes: 10 * KiB }), 10 * KiB, 'a maxBytes under the floor wins');
  });

  it("gives a job its dataset's default budget, capped by the job's maxBytes", () => {
    assert.equal(effectiveJobPolicy(env, [dataset(5_000)]).output.maxReleaseBytes, 64 * KiB);
    assert.equal(effectiveJobPolicy(env, [dataset(500 * MiB)]).output.maxReleaseBytes, Math.floor((500 * MiB) / 100));
    // The environment's outputBytes (64 MiB) and the dataset's maxBytes (16 MiB): the smaller caps the default.
    assert.equal(effectiveJobPolicy(env, [dataset(10 * 1024 * MiB)]).output.maxReleaseBytes, 16 * MiB);
    assert.equal(effectiveJobPolicy({ ...env, outputBytes: 32 * KiB }, [dataset(5_000)]).output.maxReleaseBytes, 32 * KiB);
  });

  it("uses the owner's maxReleaseBytes when set, above or below the default", () => {
    assert.equal(effectiveJobPolicy(env, [dataset(5_000, { maxReleaseBytes: 4 * KiB })]).output.maxReleaseBytes, 4 * KiB);
    assert.equal(effectiveJobPolicy(env, [dataset(5_000, { maxReleaseBytes: 2 * MiB })]).output.maxReleaseBytes, 2 * MiB);
  });

  it('takes the strictest dataset: a small dataset joined with a large one keeps its own budget', () => {
    const big = dataset(2 * 1024 * MiB); // default ~21 MB, capped at 16 MiB
    const small = dataset(10 * KiB); // default 64 KiB
    assert.equal(effectiveJobPolicy(env, [big, small]).output.maxReleaseBytes, 64 * KiB);
    assert.equal(effectiveJobPolicy(env, [small, big]).output.maxReleaseBytes, 64 * KiB);
    const strictOwner = dataset(2 * 1024 * MiB, { maxReleaseBytes: 8 * KiB });
    assert.equal(effectiveJobPolicy(env, [strictOwner, small]).output.maxReleaseBytes, 8 * KiB);
  });

  it('keeps the rest of the effective output policy as it was', () => {
    const out = effectiveJobPolicy(env, [dataset(5_000, { maxBytes: 2 * MiB }), dataset(5_000, { allowedPatterns: ['*.json', '*.pkl'] })]).output;
    assert.deepEqual(out, { maxBytes: 2 * MiB, maxReleaseBytes: 64 * KiB, allowedPatterns: ['*.json'], logs: { tail: 20 }, leakGuard: { enabled: true, minRunBytes: 64 }, allowUnsafeFormats: false });
  });
});

describe('unsafe formats', () => {
  it('are refused unless every dataset allows them', () => {
    const allows = dataset(5_000, { allowUnsafeFormats: true });
    assert.equal(effectiveJobPolicy(env, [dataset(5_000)]).output.allowUnsafeFormats, false);
    assert.equal(effectiveJobPolicy(env, [allows]).output.allowUnsafeFormats, true);
    assert.equal(effectiveJobPolicy(env, [allows, dataset(5_000)]).output.allowUnsafeFormats, false);
    assert.equal(effectiveJobPolicy(env, [allows, dataset(5_000, { allowUnsafeFormats: false })]).output.allowUnsafeFormats, false);
    assert.equal(effectiveJobPolicy(env, [allows, allows]).output.allowUnsafeFormats, true);
    assert.equal(effectiveJobPolicy(env, []).output.allowUnsafeFormats, false);
  });
});
