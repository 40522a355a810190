// Reads from a second connection (this process) while another process streams into the store:
// WAL readers never block or fail, and every read sees a consistent snapshot.
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatStore } from '../../../src-main/core/store/repository.js';
import { exited, type Ready, startWriter, type WriterMessage } from './fixtures/child.js';
import { isStreamPrefix } from './fixtures/stream-text.js';
import { tempDir } from './helpers.js';

describe('concurrent reads while writing', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('qins-concurrent-')));
  afterEach(() => cleanup());

  it('a read-only connection reads threads, search and exports while a reply streams in', async () => {
    const file = join(dir, 'qins.db');
    const child = startWriter(file, 'finish', 20);
    let ready: Ready | undefined;
    let finished = false;
    let finalChars = -1;
    child.on('message', (m: WriterMessage) => {
      if (m.type === 'ready') ready = m;
      if (m.type === 'finished') {
        finished = true;
        finalChars = m.chars;
      }
    });
    const deadline = Date.now() + 60_000;
    while (!ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    if (!ready) throw new Error('writer not ready');

    const reader = ChatStore.open(file, { readonly: true, busyTimeoutMs: 0 });
    let reads = 0;
    let lastLength = 0;
    let grew = 0;
    try {
      while (!finished && Date.now() < deadline) {
        const reply = reader.getMessage(ready.replyId);
        const text = reply?.content ?? '';
        // Monotonic and never torn: each snapshot holds whole appends, in order.
        expect(text.length).toBeGreaterThanOrEqual(lastLength);
        expect(isStreamPrefix(text)).toBe(true);
        if (text.length > lastLength) grew++;
        lastLength = text.length;
        const thread = reader.getThread(ready.conversationId, ready.replyId);
        expect(thread).toHaveLength(ready.committed.length + 1);
        expect(thread.at(-1)?.message.content.length).toBeGreaterThanOrEqual(text.length);
        expect(reader.search('東京').map((h) => h.conversationId)).toEqual([ready.conversationId]);
        const doc = reader.exportDocument([ready.conversationId]);
        expect(doc.conversations[0]?.messages).toHaveLength(ready.committed.length + 1);
        reads++;
        await yieldToLoop();
      }
      expect(finished).toBe(true);
      const { code } = await exited(child);
      expect(code).toBe(0);
      const final = reader.getMessage(ready.replyId);
      expect(final?.status).toBe('complete');
      expect(final?.content.length).toBe(finalChars);
      // The reader really overlapped with the writer.
      if (process.env.CRASH_DEBUG) console.log(`reads ${reads}, growth seen ${grew}`);
      expect(reads).toBeGreaterThan(20);
      expect(grew).toBeGreaterThan(5);
    } finally {
      reader.close();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
