import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { MIGRATIONS, migrate, schemaVersion } from './migrations.js';

describe('migrate', () => {
  it('brings a fresh database to the latest version and is a no-op afterwards', () => {
    const db = new DatabaseSync(':memory:');
    assert.deepEqual(migrate(db), MIGRATIONS.map((m) => m.version));
    assert.equal(schemaVersion(db), MIGRATIONS.length);
    assert.deepEqual(migrate(db), []);
  });

  it('applies only the steps a database has not seen yet, in order', () => {
    const db = new DatabaseSync(':memory:');
    const steps = [
      { version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER)' },
      { version: 2, name: 'b', sql: 'CREATE TABLE b (y INTEGER)' },
    ];
    assert.deepEqual(migrate(db, steps.slice(0, 1)), [1]);
    assert.deepEqual(migrate(db, steps), [2]);
    assert.equal(schemaVersion(db), 2);
  });

  it('rolls a failing step back whole and keeps the previous version', () => {
    const db = new DatabaseSync(':memory:');
    const steps = [
      { version: 1, name: 'ok', sql: 'CREATE TABLE a (x INTEGER)' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE c (z INTEGER); INSERT INTO nope VALUES (1)' },
    ];
    assert.throws(() => migrate(db, steps), /migration v2/);
    assert.equal(schemaVersion(db), 1);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'c'").all();
    assert.equal(tables.length, 0);
  });

  it('refuses a database written by a newer schema', () => {
    const db = new DatabaseSync(':memory:');
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
    assert.throws(() => migrate(db), (e: { code?: string }) => e.code === 'SCHEMA_TOO_NEW');
  });

  it('rejects a history whose versions are not consecutive', () => {
    const db = new DatabaseSync(':memory:');
    assert.throws(() => migrate(db, [{ version: 2, name: 'x', sql: '' }]), /expected 1/);
  });
});
