import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamingWriter } from '../../../src-main/core/store/streaming.js';
import { ChatStore } from '../../../src-main/core/store/repository.js';

/** A sink that records every write. */
function recorder() {
  const writes: Array<{ at: number; text: string }> = [];
  return { writes, sink: { appendContent: (_id: string, text: string) => void writes.push({ at: Date.now(), text }) } };
}

describe('StreamingWriter flush timing (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => vi.useRealTimers());

  it('batches appends and writes them within the flush interval', () => {
    const { writes, sink } = recorder();
    const w = new StreamingWriter(sink, 'm', { flushIntervalMs: 250 });
    w.append('a');
    vi.advanceTimersByTime(100);
    w.append('b');
    vi.advanceTimersByTime(100);
    w.append('c');
    expect(writes).toEqual([]);
    expect(w.buffered).toBe(3);
    vi.advanceTimersByTime(49);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual([{ at: 250, text: 'abc' }]);
    expect(w.written).toBe(3);
    expect(w.buffered).toBe(0);
  });

  it('never keeps text unwritten longer than the interval during a long stream', () => {
    const { writes, sink } = recorder();
    const w = new StreamingWriter(sink, 'm', { flushIntervalMs: 500 });
    const appended: Array<{ at: number; total: number }> = [];
    let total = 0;
    // A token every 37 ms for 10 s.
    while (Date.now() < 10_000) {
      w.append('tok ');
      total += 4;
      appended.push({ at: Date.now(), total });
      vi.advanceTimersByTime(37);
    }
    vi.advanceTimersByTime(1000);
    expect(writes.map((x) => x.text).join('')).toBe('tok '.repeat(appended.length));
    // For every append, the write that contains it happens at most 500 ms later.
    let written = 0;
    let i = 0;
    for (const write of writes) {
      written += write.text.length;
      for (; i < appended.length && (appended[i]?.total ?? 0) <= written; i++) {
        expect(write.at - (appended[i]?.at ?? 0)).toBeLessThanOrEqual(500);
      }
    }
    expect(i).toBe(appended.length);
    // ...and it batches: far fewer writes than tokens.
    expect(writes.length).toBeLessThan(appended.length / 5);
  });

  it('flushes synchronously when the producer never yields to the event loop', () => {
    const { writes, sink } = recorder();
    const w = new StreamingWriter(sink, 'm', { flushIntervalMs: 250 });
    w.append('x');
    vi.setSystemTime(260); // time passes but no timer can fire (busy loop)
    w.append('y');
    expect(writes).toEqual([{ at: 260, text: 'xy' }]);
  });

  it('flush() and close() write immediately; a closed writer refuses text', () => {
    const { writes, sink } = recorder();
    const w = new StreamingWriter(sink, 'm');
    w.append('one');
    w.flush();
    expect(writes.map((x) => x.text)).toEqual(['one']);
    w.append('two');
    w.close();
    expect(writes.map((x) => x.text)).toEqual(['one', 'two']);
    expect(() => w.append('three')).toThrow(/no longer being streamed/);
    vi.advanceTimersByTime(1000);
    expect(writes).toHaveLength(2);
  });

  it('keeps text whose write failed and retries it on the next flush', () => {
    let fail = true;
    const written: string[] = [];
    const errors: unknown[] = [];
    const w = new StreamingWriter(
      {
        appendContent: (_id, text) => {
          if (fail) throw new Error('disk full');
          written.push(text);
        },
      },
      'm',
      { flushIntervalMs: 100, onError: (e) => errors.push(e) },
    );
    w.append('abc');
    vi.advanceTimersByTime(100);
    expect(errors).toHaveLength(1);
    expect(w.buffered).toBe(3);
    fail = false;
    w.append('d');
    vi.advanceTimersByTime(100);
    expect(written).toEqual(['abcd']);
  });

  it('rejects intervals longer than 500 ms', () => {
    const { sink } = recorder();
    expect(() => new StreamingWriter(sink, 'm', { flushIntervalMs: 501 })).toThrow(RangeError);
    expect(() => new StreamingWriter(sink, 'm', { flushIntervalMs: 0 })).toThrow(RangeError);
  });

  it('drives the repository: text reaches the row on the timer, not per token', () => {
    const store = ChatStore.open(':memory:', { streaming: { flushIntervalMs: 200 } });
    const c = store.createConversation();
    const u = store.addUserMessage(c.id, null, 'hi');
    const id = store.beginAssistantMessage(c.id, u.id, { model: 'tiny', codec: 'qins8' });
    store.appendContent(id, 'Hel');
    store.appendContent(id, 'lo');
    expect(store.getMessage(id)?.content).toBe('');
    vi.advanceTimersByTime(200);
    expect(store.getMessage(id)?.content).toBe('Hello');
    store.appendContent(id, '!');
    store.flush(id);
    expect(store.getMessage(id)?.content).toBe('Hello!');
    expect(store.getMessage(id)?.status).toBe('incomplete');
    store.appendContent(id, ' Bye');
    const done = store.finishMessage(id, { status: 'complete', stats: { tokens: 4, tok_s: 20, ttft_ms: 80, stop_reason: 'eos' } });
    expect(done.content).toBe('Hello! Bye');
    expect(done.status).toBe('complete');
    expect(done.stats).toMatchObject({ tokens: 4, tok_s: 20, ttft_ms: 80, stop_reason: 'eos', model: 'tiny', codec: 'qins8' });
    expect(() => store.appendContent(id, 'more')).toThrow(/not being streamed/);
    store.close();
  });
});
