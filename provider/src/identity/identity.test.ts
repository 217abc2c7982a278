import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Wallet, hexlify } from 'ethers';
import { generateKeyPair, isCoveError } from '@cove/sdk';
import { loadIdentity } from './identity.js';

function withDir(fn: (dir: string) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cove-id-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('loadIdentity', () => {
  it('generates both keys on first start with mode 0600 and loads the same ones afterwards', withDir(async (dir) => {
    const params = { keyFile: join(dir, 'k', 'evm.key'), x25519KeyFile: join(dir, 'k', 'x25519.json') };
    const a = await loadIdentity(params);
    assert.equal(statSync(params.keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(params.x25519KeyFile).mode & 0o777, 0o600);
    const b = await loadIdentity(params);
    assert.equal(a.address, b.address);
    assert.deepEqual(hexlify(a.x25519.publicKey), hexlify(b.x25519.publicKey));
    assert.equal(a.x25519.publicKey.length, 32);
  }));

  it('prefers an explicit EVM key over the key file', withDir(async (dir) => {
    const w = Wallet.createRandom();
    const id = await loadIdentity({ privateKey: w.privateKey, keyFile: join(dir, 'evm.key'), x25519KeyFile: join(dir, 'x.json') });
    assert.equal(id.address, w.address);
  }));

  it('rejects an X25519 file whose public key does not belong to its secret key', withDir(async (dir) => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    const x25519KeyFile = join(dir, 'x.json');
    writeFileSync(x25519KeyFile, JSON.stringify({ version: 1, type: 'x25519', publicKey: hexlify(b.publicKey), secretKey: hexlify(a.secretKey) }), { mode: 0o600 });
    await assert.rejects(loadIdentity({ keyFile: join(dir, 'evm.key'), x25519KeyFile }), (e) => isCoveError(e, 'INVALID_KEY'));
  }));
});
