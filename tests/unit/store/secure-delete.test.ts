import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatStore } from '../../../src-main/core/store/repository.js';
import { tempDir } from './helpers.js';

/** Whether `needle` (UTF-8) occurs anywhere in the database file or its -wal file. */
function onDisk(file: string, needle: string): { db: boolean; wal: boolean } {
  const bytes = Buffer.from(needle, 'utf8');
  const has = (f: string) => existsSync(f) && readFileSync(f).includes(bytes);
  return { db: has(file), wal: has(`${file}-wal`) };
}

/**
 * Bytes of FTS5 segment data of both search tables (rows 1 and 10 are the averages and structure
 * records, whose counters grow with every write).
 */
function indexBytes(store: ChatStore): number {
  const q = (t: string) =>
    (store.db.prepare(`SELECT coalesce(sum(length(block)), 0) AS n FROM ${t}_data WHERE id > 10`).get() as { n: number }).n;
  return q('messages_fts') + q('conversations_fts');
}

describe('deleted text is not recoverable from the files', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  let store: ChatStore;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    file = join(dir, 'qins.db');
    store = ChatStore.open(file);
  });
  afterEach(() => {
    store.close();
    cleanup();
  });

  function conversationWith(secret: string) {
    const c = store.createConversation({ title: `title ${secret}-T` });
    const u = store.addUserMessage(c.id, null, `please remember ${secret}`);
    // Streamed in several flushes (each leaves an older version of the row behind), and long
    // enough to spill into overflow pages.
    const a = store.beginAssistantMessage(c.id, u.id);
    for (let i = 0; i < 20; i++) {
      store.appendContent(a, `${secret} ${'lorem ipsum '.repeat(100)}`);
      store.flush(a);
    }
    store.finishMessage(a, { status: 'complete' });
    return { c, u, a };
  }

  it('deleting a conversation removes its text from the database and the WAL', () => {
    const secret = `zq-${randomUUID()}-Пароль-東京`;
    const keep = `keep-${randomUUID()}`;
    const kept = store.createConversation({ title: 'kept' });
    store.addUserMessage(kept.id, null, keep);
    store.purge();
    const indexBefore = indexBytes(store);
    const { c } = conversationWith(secret);
    expect(indexBytes(store)).toBeGreaterThan(indexBefore);
    // The check can see the text while it exists (WAL before a checkpoint, the db file after).
    expect(Object.values(onDisk(file, secret))).toContain(true);
    store.checkpoint();
    expect(onDisk(file, secret).db).toBe(true);
    expect(onDisk(file, `${secret}-T`).db).toBe(true);

    expect(store.deleteConversation(c.id)).toEqual({ deleted: true, purged: true });
    expect(onDisk(file, secret)).toEqual({ db: false, wal: false });
    expect(onDisk(file, `${secret}-T`)).toEqual({ db: false, wal: false });
    expect(store.search(secret)).toEqual([]);
    // Not even the search index keeps a trace: it is back to its size before the secret existed.
    expect(indexBytes(store)).toBe(indexBefore);
    // Other conversations are untouched.
    expect(onDisk(file, keep).db).toBe(true);
    expect(store.search(keep)).toHaveLength(1);
    expect(store.integrityCheck()).toEqual([]);
  });

  it('deleting a branch removes its text too', () => {
    const secret = `branch-${randomUUID()}`;
    const c = store.createConversation();
    const u = store.addUserMessage(c.id, null, 'question');
    const a = store.beginAssistantMessage(c.id, u.id);
    store.appendContent(a, `answer with ${secret}`);
    store.finishMessage(a, { status: 'complete' });
    store.checkpoint();
    expect(onDisk(file, secret).db).toBe(true);
    expect(store.deleteMessage(a)).toMatchObject({ deleted: 1, purged: true });
    expect(onDisk(file, secret)).toEqual({ db: false, wal: false });
    expect(store.getThread(c.id).map((e) => e.message.content)).toEqual(['question']);
  });
});

describe('backup with VACUUM INTO', () => {
  it('writes a consistent, searchable copy and refuses to overwrite', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'qins.db');
      const store = ChatStore.open(file);
      const gone = `gone-${randomUUID()}`;
      const c = store.createConversation({ title: 'Backed up' });
      const u = store.addUserMessage(c.id, null, 'Größe und 東京都 and more');
      const d = store.createConversation({ title: gone });
      store.deleteConversation(d.id);
      // A reply still streaming is flushed into the copy.
      const a = store.beginAssistantMessage(c.id, u.id);
      store.appendContent(a, 'partial reply');
      const dest = join(dir, 'backups', 'qins-backup.db');
      const r = store.backup(dest);
      expect(r.path).toBe(dest);
      expect(r.bytes).toBeGreaterThan(0);
      expect(() => store.backup(dest)).toThrow(/already exists/);
      store.close();

      expect(readFileSync(dest).includes(Buffer.from(gone))).toBe(false);
      const copy = ChatStore.open(dest);
      expect(copy.integrityCheck()).toEqual([]);
      expect(copy.search('東京都').map((h) => h.conversationId)).toEqual([c.id]);
      expect(copy.search('GROSSE')).toEqual([]); // ß is not folded to ss (documented limitation)
      expect(copy.getThread(c.id).map((e) => [e.message.content, e.message.status])).toEqual([
        ['Größe und 東京都 and more', 'complete'],
        ['partial reply', 'incomplete'],
      ]);
      copy.close();
    } finally {
      cleanup();
    }
  });
});
