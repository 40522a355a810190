import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion, type Db } from '../../../../src-main/core/store/db.js';
import { MIGRATIONS } from '../../../../src-main/core/store/migrations/index.js';
import { objects } from '../helpers.js';

describe('migration 002: full-text search', () => {
  let db: Db;
  beforeEach(() => {
    db = openDatabase(':memory:', { migrations: MIGRATIONS.slice(0, 1) });
    // Data written by version 1, before the search index existed.
    db.prepare(
      "INSERT INTO conversations (id, title, created_at, updated_at, sampling) VALUES ('c1', 'Über Reykjavík', 1, 1, '{}')",
    ).run();
    db.prepare(
      "INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at) VALUES ('m1', 'c1', 'user', 'ornithopter schematics', 'complete', 1, 1)",
    ).run();
    migrate(db, MIGRATIONS.slice(0, 2));
  });
  afterEach(() => db.close());

  const matchMessages = (q: string) =>
    db.prepare('SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?').all(q) as Array<{ rowid: number }>;
  const matchTitles = (q: string) =>
    db.prepare('SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH ?').all(q) as Array<{ rowid: number }>;

  it('moves to user_version 2 with the FTS tables and sync triggers', () => {
    expect(schemaVersion(db)).toBe(2);
    const tables = objects(db, 'table');
    expect(tables).toContain('messages_fts');
    expect(tables).toContain('conversations_fts');
    expect(objects(db, 'trigger').filter((t) => t.includes('_fts_'))).toHaveLength(6);
  });

  it('indexes rows that existed before the migration', () => {
    expect(matchMessages('"thopter"')).toHaveLength(1);
    expect(matchTitles('"uber"')).toHaveLength(1); // diacritics folded
    expect(matchTitles('"REYKJAVIK"')).toHaveLength(1); // case folded
  });

  it('keeps the index in sync on insert, update and delete', () => {
    db.prepare(
      "INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at) VALUES ('m2', 'c1', 'user', 'zeppelin', 'complete', 1, 1)",
    ).run();
    expect(matchMessages('"zeppelin"')).toHaveLength(1);
    db.prepare("UPDATE messages SET content = 'dirigible' WHERE id = 'm2'").run();
    expect(matchMessages('"zeppelin"')).toHaveLength(0);
    expect(matchMessages('"dirigible"')).toHaveLength(1);
    db.prepare("UPDATE conversations SET title = 'Renamed' WHERE id = 'c1'").run();
    expect(matchTitles('"reykjavik"')).toHaveLength(0);
    expect(matchTitles('"renamed"')).toHaveLength(1);
    db.prepare("DELETE FROM conversations WHERE id = 'c1'").run();
    expect(matchMessages('"dirigible"')).toHaveLength(0);
    expect(matchTitles('"renamed"')).toHaveLength(0);
    db.prepare("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)").run();
    db.prepare("INSERT INTO conversations_fts(conversations_fts, rank) VALUES ('integrity-check', 1)").run();
  });

  it('leaves FTS5 secure-delete off (it corrupts the index on same-transaction delete + re-insert)', () => {
    for (const t of ['messages_fts', 'conversations_fts']) {
      expect(db.prepare(`SELECT v FROM ${t}_config WHERE k = 'secure-delete'`).get()).toBeUndefined();
    }
  });
});
