import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { prepareDatabaseFiles, securePrivateDir, tightenTree } from './dataDir.js';

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('data directory modes', () => {
  it('makes an existing, world-readable directory 0700', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cove-dd-'));
    try {
      const dir = join(root, 'data');
      await mkdir(dir, { mode: 0o755 });
      await chmod(dir, 0o755);
      await securePrivateDir(dir);
      assert.equal(await mode(dir), 0o700);
      await securePrivateDir(join(root, 'fresh', 'data'));
      assert.equal(await mode(join(root, 'fresh', 'data')), 0o700);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('tightens a tree recursively (files 0600, directories 0700) without following symbolic links', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cove-dd-'));
    try {
      const outside = join(root, 'outside.txt');
      await writeFile(outside, 'x', { mode: 0o644 });
      await chmod(outside, 0o644);
      const repo = join(root, 'ipfs');
      await mkdir(join(repo, 'datastore', 'pkcs8'), { recursive: true, mode: 0o755 });
      await writeFile(join(repo, 'datastore', 'pkcs8', 'self.data'), 'key', { mode: 0o644 });
      await chmod(join(repo, 'datastore', 'pkcs8', 'self.data'), 0o644);
      await chmod(join(repo, 'datastore'), 0o755);
      await symlink(outside, join(repo, 'link'));
      await tightenTree(repo);
      for (const d of [repo, join(repo, 'datastore'), join(repo, 'datastore', 'pkcs8')]) assert.equal(await mode(d), 0o700, d);
      assert.equal(await mode(join(repo, 'datastore', 'pkcs8', 'self.data')), 0o600);
      assert.equal(await mode(outside), 0o644, 'a link target outside is left alone');
      await tightenTree(join(root, 'missing'));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('creates the database 0600 so SQLite writes its WAL and shared-memory files 0600 too, and tightens existing ones', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cove-dd-'));
    try {
      const db = join(root, 'provider.db');
      await prepareDatabaseFiles(db);
      const sqlite = new DatabaseSync(db);
      sqlite.exec('PRAGMA journal_mode = WAL');
      sqlite.exec('CREATE TABLE t (x)');
      for (const f of [db, `${db}-wal`, `${db}-shm`]) assert.equal(await mode(f), 0o600, f);
      for (const f of [db, `${db}-wal`, `${db}-shm`]) await chmod(f, 0o644);
      await prepareDatabaseFiles(db);
      for (const f of [db, `${db}-wal`, `${db}-shm`]) assert.equal(await mode(f), 0o600, f);
      sqlite.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
