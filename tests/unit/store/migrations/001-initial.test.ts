import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion, type Db } from '../../../../src-main/core/store/db.js';
import { MIGRATIONS } from '../../../../src-main/core/store/migrations/index.js';
import { columns, isStrict, objects } from '../helpers.js';

describe('migration 001: initial schema', () => {
  let db: Db;
  beforeEach(() => {
    db = openDatabase(':memory:', { migrations: MIGRATIONS.slice(0, 1) });
  });
  afterEach(() => db.close());

  const conv = (id: string) =>
    db
      .prepare("INSERT INTO conversations (id, title, created_at, updated_at, sampling) VALUES (?, 't', 1, 1, '{}')")
      .run(id);
  const msg = (id: string, c: string, parent: string | null, content = 'x') =>
    db
      .prepare(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created_at, updated_at) VALUES (?, ?, ?, 'user', ?, 'complete', 1, 1)",
      )
      .run(id, c, parent, content);

  it('creates STRICT tables with the expected columns at user_version 1', () => {
    expect(schemaVersion(db)).toBe(1);
    for (const t of ['conversations', 'messages', 'models', 'settings']) expect(isStrict(db, t)).toBe(true);
    expect(columns(db, 'messages').map((c) => c.name)).toEqual([
      'seq', 'id', 'conversation_id', 'parent_id', 'role', 'content', 'status', 'error', 'tokens', 'prompt_tokens',
      'tok_s', 'ttft_ms', 'codec', 'model', 'stop_reason', 'context', 'created_at', 'updated_at',
    ]);
    expect(columns(db, 'conversations').map((c) => c.name)).toContain('current_leaf_id');
    expect(objects(db, 'trigger')).toEqual(['conversations_leaf_same_conversation', 'messages_parent_same_conversation']);
  });

  it('enforces types, checks and references', () => {
    conv('c1');
    expect(() =>
      db
        .prepare("INSERT INTO conversations (id, title, created_at, updated_at, sampling) VALUES ('c2', 't', 'soon', 1, '{}')")
        .run(),
    ).toThrow(/cannot store TEXT value in INTEGER column/);
    expect(() => conv('c1')).toThrow(/UNIQUE/);
    expect(() =>
      db
        .prepare("INSERT INTO conversations (id, title, created_at, updated_at, sampling) VALUES ('c3', 't', 1, 1, 'not json')")
        .run(),
    ).toThrow(/CHECK/);
    expect(() => msg('m0', 'nope', null)).toThrow(/FOREIGN KEY/);
    expect(() =>
      db
        .prepare(
          "INSERT INTO messages (id, conversation_id, role, status, created_at, updated_at) VALUES ('m9', 'c1', 'system', 'complete', 1, 1)",
        )
        .run(),
    ).toThrow(/CHECK/);
    msg('m1', 'c1', null);
    expect(() => msg('m2', 'c1', 'missing')).toThrow(/FOREIGN KEY/);
  });

  it('keeps parents and the selected leaf inside their conversation', () => {
    conv('a');
    conv('b');
    msg('a1', 'a', null);
    expect(() => msg('b1', 'b', 'a1')).toThrow(/another conversation/);
    msg('b1', 'b', null);
    expect(() => db.prepare("UPDATE conversations SET current_leaf_id = 'a1' WHERE id = 'b'").run()).toThrow(
      /another conversation/,
    );
    db.prepare("UPDATE conversations SET current_leaf_id = 'b1' WHERE id = 'b'").run();
  });

  it('cascades: deleting a message removes its subtree, deleting a conversation removes its messages', () => {
    conv('c');
    msg('r', 'c', null);
    msg('k1', 'c', 'r');
    msg('k2', 'c', 'k1');
    msg('other', 'c', null);
    db.prepare("UPDATE conversations SET current_leaf_id = 'k2' WHERE id = 'c'").run();
    db.prepare("DELETE FROM messages WHERE id = 'r'").run();
    expect(db.prepare('SELECT id FROM messages').all()).toEqual([{ id: 'other' }]);
    expect(db.prepare("SELECT current_leaf_id FROM conversations WHERE id = 'c'").get()).toEqual({ current_leaf_id: null });
    db.prepare("DELETE FROM conversations WHERE id = 'c'").run();
    expect(db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 0 });
  });
});
