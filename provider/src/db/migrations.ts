import type { DatabaseSync } from 'node:sqlite';

/** One schema step. Versions are consecutive from 1; a step never changes once released. */
export type Migration = { version: number; name: string; sql: string };

/** The provider's schema history, oldest first. Append; never edit a released step. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'nonces, order uses, jobs and transitions',
    sql: `
      CREATE TABLE nonces (
        address TEXT PRIMARY KEY,           -- lower-case 0x address
        nonce   INTEGER NOT NULL            -- the last nonce accepted; the next must be greater
      ) STRICT;
      CREATE TABLE jobs (
        job_id        TEXT PRIMARY KEY,
        consumer      TEXT NOT NULL,
        status        TEXT NOT NULL,
        reason        TEXT,
        environment   TEXT NOT NULL,
        request_json  TEXT NOT NULL,        -- the signed request as accepted
        created_at    INTEGER NOT NULL,     -- unix ms
        updated_at    INTEGER NOT NULL,
        started_at    INTEGER,
        finished_at   INTEGER,
        manifest_json TEXT,
        outputs_hash  TEXT,
        result_cid    TEXT,
        result_key    TEXT,                 -- content key of the result, sealed to the consumer
        logs          TEXT,                 -- what the output policy releases
        receipt_state TEXT NOT NULL DEFAULT 'none',   -- none | pending | posted | failed
        receipt_tx    TEXT,
        receipt_error TEXT
      ) STRICT;
      CREATE INDEX jobs_status ON jobs(status);
      CREATE TABLE order_uses (
        order_id  TEXT PRIMARY KEY,         -- one row per order: an order is used at most once
        tx_hash   TEXT NOT NULL,
        asset_id  TEXT NOT NULL,
        consumer  TEXT NOT NULL,
        kind      TEXT NOT NULL,            -- compute | access
        job_id    TEXT REFERENCES jobs(job_id),
        used_at   INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE job_transitions (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id  TEXT NOT NULL REFERENCES jobs(job_id),
        status  TEXT NOT NULL,
        reason  TEXT,
        at      INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX job_transitions_job ON job_transitions(job_id, seq);
      CREATE TRIGGER job_transitions_append_only_u BEFORE UPDATE ON job_transitions
        BEGIN SELECT RAISE(ABORT, 'job_transitions is append-only'); END;
      CREATE TRIGGER job_transitions_append_only_d BEFORE DELETE ON job_transitions
        BEGIN SELECT RAISE(ABORT, 'job_transitions is append-only'); END;
    `,
  },
  {
    version: 2,
    name: 'owner releases of reviewed outputs',
    sql: `
      CREATE TABLE job_releases (
        job_id   TEXT NOT NULL REFERENCES jobs(job_id),
        asset_id TEXT NOT NULL,            -- a reviewing dataset of the job
        owner    TEXT NOT NULL,            -- lower-case address of the asset's owner who released
        at       INTEGER NOT NULL,
        PRIMARY KEY (job_id, asset_id)
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: 'the OCI runtime each job ran under',
    sql: `
      ALTER TABLE jobs ADD COLUMN runtime TEXT;   -- runc | runsc (gVisor); null until the engine reports it
    `,
  },
  {
    version: 4,
    name: 'the batch and block of each posted receipt',
    sql: `
      ALTER TABLE jobs ADD COLUMN receipt_root TEXT;      -- Merkle root of the receipt's batch (its leaf for a batch of one)
      ALTER TABLE jobs ADD COLUMN receipt_block INTEGER;  -- block that recorded it
    `,
  },
];

/** Thrown when the database was written by a newer provider than this one. */
export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
  readonly code = 'SCHEMA_TOO_NEW';
}

/**
 * Brings `db` to the latest version: each pending step runs in its own transaction
 * together with the bump of `PRAGMA user_version`, so a crash leaves either the old or
 * the new version, never half a step.
 * @example
 * const applied = migrate(db); // [1] on a fresh database, [] afterwards
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): number[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
  const current = schemaVersion(db);
  const latest = migrations.length;
  if (current > latest) throw new SchemaTooNewError(`database schema v${current} is newer than this provider (v${latest})`);
  const applied: number[] = [];
  for (const m of migrations.slice(current)) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(m.sql);
      db.exec(`PRAGMA user_version = ${m.version}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new Error(`migration v${m.version} (${m.name}) failed`, { cause: err });
    }
    applied.push(m.version);
  }
  return applied;
}

/** The schema version recorded in the database (0 when empty). */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  return row.user_version;
}
