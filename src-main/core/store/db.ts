// Opening the SQLite database: connection pragmas and the migration runner.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations/index.js';

export type Db = Database.Database;

export class StoreError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'BAD_INPUT' | 'CONFLICT' | 'SCHEMA_TOO_NEW' | 'IO',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface OpenOptions {
  /** Open an existing database read-only (a second connection for concurrent reads). */
  readonly?: boolean;
  /** Fail instead of creating a new database file. */
  mustExist?: boolean;
  /** Milliseconds to wait on a lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** The migrations to apply (tests pass a prefix). */
  migrations?: readonly Migration[];
  /** Before migrating a database that already has data, copy it to `<file>.v<N>.bak`. */
  backupBeforeMigrate?: boolean;
}

/** Connection settings applied to every connection (they are not stored in the file). */
export function applyPragmas(db: Db, busyTimeoutMs = 5000): void {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  db.pragma('foreign_keys = ON');
  // Freed pages are overwritten with zeros, so deleted text is not left in the file.
  db.pragma('secure_delete = ON');
  if (db.readonly) return;
  const mode = String(db.pragma('journal_mode = WAL', { simple: true }));
  if (mode !== 'wal' && db.name !== ':memory:') {
    throw new StoreError('IO', `cannot switch ${db.name} to WAL mode (got ${mode})`);
  }
  // FULL: a committed message survives a power cut, not only a crash of the app.
  db.pragma('synchronous = FULL');
  // Shrink the -wal file back to this size after checkpoints (old frames hold old text).
  db.pragma('journal_size_limit = 4194304');
}

export function schemaVersion(db: Db): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/**
 * Applies the pending migrations in one transaction: either all of them are applied and
 * `user_version` is the last one's version, or none is. Returns the versions before and after.
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const from = schemaVersion(db);
  if (from > migrations.length) {
    throw new StoreError(
      'SCHEMA_TOO_NEW',
      `${db.name} has schema version ${from}, newer than this app supports (${migrations.length}); update QINS Chat`,
    );
  }
  const pending = migrations.slice(from);
  if (pending.length === 0) return { from, to: from };
  db.transaction(() => {
    for (const m of pending) {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }
  }).immediate();
  return { from, to: schemaVersion(db) };
}

/** Opens (creating if needed) the store database and brings its schema up to date. */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? MIGRATIONS;
  const inMemory = file === ':memory:';
  if (!inMemory && !options.readonly && !options.mustExist) mkdirSync(dirname(file), { recursive: true });
  if (!inMemory && (options.readonly || options.mustExist) && !existsSync(file)) {
    throw new StoreError('NOT_FOUND', `no conversation store at ${file}`);
  }
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.mustExist ?? false });
  } catch (e) {
    throw new StoreError('IO', `cannot open ${file}: ${(e as Error).message}`);
  }
  try {
    applyPragmas(db, options.busyTimeoutMs);
    if (options.readonly) {
      const v = schemaVersion(db);
      if (v !== migrations.length) {
        throw new StoreError('BAD_INPUT', `${file} has schema version ${v}, expected ${migrations.length}`);
      }
      return db;
    }
    const from = schemaVersion(db);
    if (options.backupBeforeMigrate && !inMemory && from > 0 && from < migrations.length) {
      backupTo(db, `${file}.v${from}.bak`, true);
    }
    migrate(db, migrations);
    return db;
  } catch (e) {
    db.close();
    if (e instanceof StoreError) throw e;
    throw new StoreError('IO', `cannot open ${file}: ${(e as Error).message}`);
  }
}

/**
 * Writes a compacted, consistent copy of the database to `dest` with VACUUM INTO (through a
 * temporary file in the same folder, then a rename), and checks the copy's integrity.
 */
export function backupTo(db: Db, dest: string, overwrite = false): { path: string; bytes: number } {
  if (existsSync(dest) && !overwrite) throw new StoreError('CONFLICT', `${dest} already exists`);
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}-${Date.now()}`;
  try {
    db.prepare('VACUUM INTO ?').run(tmp);
    const copy = new Database(tmp);
    try {
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new StoreError('IO', `backup copy failed its integrity check: ${String(check)}`);
    } finally {
      copy.close();
    }
    // Make the copy durable before it replaces anything.
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof StoreError) throw e;
    throw new StoreError('IO', `backup to ${dest} failed: ${(e as Error).message}`);
  }
  return { path: dest, bytes: statSync(dest).size };
}

export { LATEST_SCHEMA_VERSION };
