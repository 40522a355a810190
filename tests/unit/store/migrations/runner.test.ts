import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion, StoreError } from '../../../../src-main/core/store/db.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from '../../../../src-main/core/store/migrations/index.js';
import { rawDb, tempDir } from '../helpers.js';

describe('migration runner', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('numbers the migrations 1..N and opens a new database at the latest version', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    const t = tempDir();
    cleanup = t.cleanup;
    const db = openDatabase(join(t.dir, 'qins.db'));
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
  });

  it('is idempotent: reopening applies nothing', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'qins.db');
    openDatabase(file).close();
    const db = openDatabase(file);
    expect(migrate(db)).toEqual({ from: LATEST_SCHEMA_VERSION, to: LATEST_SCHEMA_VERSION });
    db.close();
  });

  it('applies pending migrations in one transaction: a failure leaves the old version and schema', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'qins.db');
    openDatabase(file, { migrations: MIGRATIONS.slice(0, 1) }).close();
    const broken: Migration = {
      version: MIGRATIONS.length + 1,
      name: 'broken',
      up(db) {
        db.exec('CREATE TABLE half_done (x INTEGER) STRICT');
        throw new Error('boom');
      },
    };
    expect(() => openDatabase(file, { migrations: [...MIGRATIONS, broken] })).toThrow('boom');
    const db = rawDb(file);
    expect(schemaVersion(db)).toBe(1);
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>;
    expect(tables.map((r) => r.name)).not.toContain('half_done');
    // Migration 2's FTS tables were rolled back with it.
    expect(tables.map((r) => r.name)).not.toContain('messages_fts');
    db.close();
  });

  it('refuses a database from a newer app version', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'qins.db');
    const db = rawDb(file);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openDatabase(file)).toThrow(StoreError);
    expect(() => openDatabase(file)).toThrow(/newer than this app supports/);
  });

  it('reports a file that is not a database in one line', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'qins.db');
    writeFileSync(file, 'this is not sqlite '.repeat(100));
    expect(() => openDatabase(file)).toThrow(/^cannot open .*qins\.db: file is not a database$/);
  });

  it('rejects misnumbered migrations', () => {
    const db = openDatabase(':memory:', { migrations: [] });
    const bad: Migration = { version: 2, name: 'skips-one', up() {} };
    expect(() => migrate(db, [bad])).toThrow(/expected 1/);
    db.close();
  });

  it('backs up an existing database before migrating it', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'qins.db');
    const v1 = openDatabase(file, { migrations: MIGRATIONS.slice(0, 1) });
    v1.prepare(
      "INSERT INTO conversations (id, title, created_at, updated_at, sampling) VALUES ('c1', 'kept', 1, 1, '{}')",
    ).run();
    v1.close();
    openDatabase(file, { backupBeforeMigrate: true }).close();
    const bak = rawDb(`${file}.v1.bak`, true);
    expect(schemaVersion(bak)).toBe(1);
    expect(bak.prepare('SELECT title FROM conversations').get()).toEqual({ title: 'kept' });
    bak.close();
  });

  it('opens read-only only an existing, up-to-date database', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'qins.db');
    expect(() => openDatabase(file, { readonly: true })).toThrow(/no conversation store/);
    openDatabase(file).close();
    const ro = openDatabase(file, { readonly: true });
    expect(() => ro.prepare("INSERT INTO settings (key, value) VALUES ('a', '1')").run()).toThrow(/readonly/);
    ro.close();
  });
});
