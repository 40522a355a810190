// A child process streams a long reply into the store and is killed with SIGKILL mid-stream.
// After reopening: the database is intact, every committed message is there, and the partial
// reply is there, marked incomplete, holding exactly the text of a flush no older than the last
// one the child reported.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatStore } from '../../../src-main/core/store/repository.js';
import { exited, type Ready, startWriter, type WriterMessage } from './fixtures/child.js';
import { isStreamPrefix } from './fixtures/stream-text.js';
import { tempDir } from './helpers.js';

interface Run {
  ready: Ready;
  flushes: number[];
  signal: NodeJS.Signals | null;
}

/**
 * Runs the writer until it has reported `killAfter` flushes of the reply, then SIGKILLs it
 * `delayMs` later (while it keeps writing).
 */
async function crashAfter(
  dbFile: string,
  mode: 'crash' | 'hammer',
  intervalMs: number,
  killAfter: number,
  delayMs = 0,
): Promise<Run> {
  const child = startWriter(dbFile, mode, intervalMs);
  let ready: Ready | undefined;
  const flushes: number[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('writer did not make progress in 60 s')), 60_000);
    child.on('message', (m: WriterMessage) => {
      if (m.type === 'ready') ready = m;
      if (m.type === 'flushed' && ready && m.id === ready.replyId) {
        flushes.push(m.chars);
        if (flushes.length === killAfter) {
          clearTimeout(timer);
          setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, delayMs);
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (flushes.length < killAfter) reject(new Error(`writer exited early with code ${code}`));
    });
  });
  const { signal } = await exited(child);
  if (!ready) throw new Error('no ready message');
  return { ready, flushes, signal };
}

function checkAfterCrash(dbFile: string, run: Run): void {
  expect(run.signal).toBe('SIGKILL');
  const store = ChatStore.open(dbFile);
  try {
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(store.integrityCheck()).toEqual([]);
    for (const { id, content } of run.ready.committed) {
      const m = store.getMessage(id);
      expect(m?.content).toBe(content);
      expect(m?.status).toBe('complete');
    }
    const reply = store.getMessage(run.ready.replyId);
    expect(reply?.status).toBe('incomplete');
    expect(reply?.stats?.stop_reason).toBeNull();
    const text = reply?.content ?? '';
    const lastReported = run.flushes.at(-1) ?? 0;
    if (process.env.CRASH_DEBUG) console.log(`reply ${text.length} chars, last reported flush ${lastReported}, flushes ${run.flushes.length}`);
    expect(lastReported).toBeGreaterThan(0);
    // At least what the last reported flush wrote (a later flush may have committed before the kill)...
    expect(text.length).toBeGreaterThanOrEqual(lastReported);
    // ...and exactly a prefix of the stream made of whole appends (no torn write).
    expect(isStreamPrefix(text)).toBe(true);
    // The thread ends with the partial reply, which the UI can continue or regenerate.
    const thread = store.getThread(run.ready.conversationId);
    expect(thread.at(-1)?.message.id).toBe(run.ready.replyId);
    expect(thread).toHaveLength(run.ready.committed.length + 1);
    store.continueMessage(run.ready.replyId);
    store.appendContent(run.ready.replyId, ' [continued]');
    const done = store.finishMessage(run.ready.replyId, { status: 'complete', stats: { stop_reason: 'eos' } });
    expect(done.content).toBe(`${text} [continued]`);
    const parentId = reply?.parentId ?? null;
    const again = store.beginAssistantMessage(run.ready.conversationId, parentId);
    store.finishMessage(again, { status: 'complete' });
    expect(store.getThread(run.ready.conversationId).at(-1)).toMatchObject({ siblingIndex: 1, siblingCount: 2 });
    expect(store.integrityCheck()).toEqual([]);
  } finally {
    store.close();
  }
}

describe('crash safety (SIGKILL mid-stream)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('qins-crash-')));
  afterEach(() => cleanup());

  it('keeps committed messages and the partial reply up to the last flush (default 250 ms flushes)', async () => {
    const file = join(dir, 'qins.db');
    const run = await crashAfter(file, 'crash', 250, 6);
    checkAfterCrash(file, run);
  });

  it('survives kills landing during writes (tiny flush interval, bursts of tokens)', async () => {
    for (const [killAfter, delayMs] of [
      [17, 0],
      [40, 3],
      [73, 7],
      [25, 11],
    ] as const) {
      const file = join(dir, `hammer-${killAfter}.db`);
      const run = await crashAfter(file, 'hammer', 2, killAfter, delayMs);
      checkAfterCrash(file, run);
    }
  });
});
