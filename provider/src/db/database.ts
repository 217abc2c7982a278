import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { migrate } from './migrations.js';

/**
 * Opens (creating if needed) the provider's SQLite database in WAL mode and migrates it.
 * `path` ':memory:' gives a throw-away database for tests.
 * @example
 * const db = openDatabase({ path: join(dataDir, 'provider.db') });
 */
export function openDatabase(params: { path: string }): DatabaseSync {
  if (params.path !== ':memory:') mkdirSync(dirname(params.path), { recursive: true });
  const db = new DatabaseSync(params.path);
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL under WAL: a committed transaction survives a process crash (kill -9); only an
  // OS crash or power loss may lose the last transactions.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 5000');
  migrate(db);
  return db;
}

/** Runs `fn` inside one immediate transaction; rolls back and rethrows on error. */
export function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
