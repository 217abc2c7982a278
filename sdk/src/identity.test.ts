import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, encodeKey } from './crypto/keys.js';
import { identityFiles, loadIdentity } from './identity.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cove-identity-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('creates both keys with mode 0600 and loads the same identity again', async (t) => {
  const files = identityFiles(await tempDir(t));
  const first = await loadIdentity({ ...files, create: true });
  assert.equal((await stat(files.keyFile)).mode & 0o777, 0o600);
  assert.equal((await stat(files.x25519KeyFile)).mode & 0o777, 0o600);
  const again = await loadIdentity(files);
  assert.equal(again.address, first.address);
  assert.deepEqual(again.x25519.publicKey, first.x25519.publicKey);
});

test('refuses a missing identity unless asked to create it', async (t) => {
  const files = identityFiles(await tempDir(t));
  await assert.rejects(loadIdentity(files), { code: 'KEY_FILE_NOT_FOUND' });
});

test('refuses an EVM key file readable by others', async (t) => {
  const files = identityFiles(await tempDir(t));
  await loadIdentity({ ...files, create: true });
  await chmod(files.keyFile, 0o644);
  await assert.rejects(loadIdentity(files), { code: 'KEY_FILE_PERMISSIONS' });
});

test('rejects a key file that holds no valid key with INVALID_KEY', async (t) => {
  const files = identityFiles(await tempDir(t));
  await loadIdentity({ ...files, create: true });
  const { writeFile } = await import('node:fs/promises');
  await writeFile(files.keyFile, 'not a key\n', { mode: 0o600 });
  await assert.rejects(loadIdentity(files), { code: 'INVALID_KEY' });
  assert.equal((await readFile(files.keyFile, 'utf8')).trim(), 'not a key');
});

test('an explicit private key wins over the key file', async (t) => {
  const files = identityFiles(await tempDir(t));
  const key = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
  const id = await loadIdentity({ ...files, privateKey: key, create: true });
  assert.equal(id.address, '0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
});

test('rejects an X25519 file whose public key does not belong to its secret key', async (t) => {
  const files = identityFiles(await tempDir(t));
  await loadIdentity({ ...files, create: true });
  const { writeFile } = await import('node:fs/promises');
  const [a, b] = [generateKeyPair(), generateKeyPair()];
  await writeFile(files.x25519KeyFile, JSON.stringify({ version: 1, type: 'x25519', publicKey: encodeKey(b.publicKey), secretKey: encodeKey(a.secretKey) }), { mode: 0o600 });
  await assert.rejects(loadIdentity(files), { code: 'INVALID_KEY' });
});
