import { describe, expect, it } from 'vitest';
import { ChatSession } from '../../../src-main/engine/chat-session.js';
import { ContextOverflowError, Generator, SessionBusyError, type StreamDelta } from '../../../src-main/engine/generate.js';
import type { ChatMessage } from '../../../src-main/engine/template.js';
import { FakeBackend, PHI3_EOS, phi3Text, scriptedReply } from './helpers.js';

const { tokenizer, template } = phi3Text();
const enc = (s: string): number[] => tokenizer.encode(s);
const GREEDY = { temperature: 0, repetitionPenalty: 1 };

function session(backend: FakeBackend, contextLength?: number): ChatSession {
  return new ChatSession({ backend, tokenizer, template, eosTokenIds: PHI3_EOS }, { contextLength });
}

/** Replies "Hello there!" to the first turn and "I am fine." to the second, then <|end|>. */
function twoTurnBackend(): FakeBackend {
  const r1 = enc('Hello there!');
  const r2 = enc('I am fine.');
  return new FakeBackend((seq) => {
    const turns = seq.filter((t) => t === 32001).length;
    const a = seq.lastIndexOf(32001);
    const reply = turns <= 1 ? r1 : r2;
    return reply[seq.length - a - 1] ?? 32007;
  });
}

describe('ChatSession: multi-turn KV prefix reuse', () => {
  it('the second turn evaluates only the tokens after the cached prefix', async () => {
    const be = twoTurnBackend();
    const s = session(be);
    const m1: ChatMessage[] = [{ role: 'user', content: 'Hi' }];
    const r1 = await s.generate({ messages: m1, sampling: GREEDY });
    expect(r1.text).toBe('Hello there!');
    expect(r1.stop).toEqual({ reason: 'eos', stopTokenId: 32007 });
    const p1 = s.tokenize(m1);
    const reply1 = enc('Hello there!');
    expect(r1.promptTokens).toBe(p1.length);
    expect(r1.reusedTokens).toBe(0);
    expect(r1.tokens).toBe(reply1.length);
    // Prompt + every reply token but the eos (which is sampled, never evaluated).
    expect(be.evaluated).toBe(p1.length + reply1.length);

    const before = be.evaluated;
    const callsBefore = be.calls.length;
    const m2: ChatMessage[] = [...m1, { role: 'assistant', content: r1.text }, { role: 'user', content: 'How are you?' }];
    const r2 = await s.generate({ messages: m2, sampling: GREEDY });
    expect(r2.text).toBe('I am fine.');
    const p2 = s.tokenize(m2);
    // The re-rendered history tokenizes to exactly what was generated, so all of it is reused.
    expect(p2.slice(0, p1.length + reply1.length)).toEqual([...p1, ...reply1]);
    expect(r2.reusedTokens).toBe(p1.length + reply1.length);
    expect(r2.evaluatedTokens).toBe(p2.length - r2.reusedTokens);
    const prefillCall = be.calls[callsBefore]!;
    expect(prefillCall.pos).toBe(r2.reusedTokens);
    expect(prefillCall.tokens).toEqual(p2.slice(r2.reusedTokens));
    expect(be.evaluated - before).toBe(r2.evaluatedTokens + enc('I am fine.').length);
  });

  it('a reply sampled as a non-canonical split still counts as cached in the next turn', async () => {
    // "Hello!" sampled as ▁H + ello + ! (the tokenizer itself would write ▁Hello + !).
    const reply = [tokenizer.tokenToId('▁H')!, tokenizer.tokenToId('ello')!, tokenizer.tokenToId('!')!];
    expect(tokenizer.decode(reply)).toBe('Hello!');
    expect(enc('Hello!')).not.toEqual(reply);
    const be = new FakeBackend((seq) => {
      const a = seq.lastIndexOf(32001);
      return seq.filter((t) => t === 32001).length <= 1 ? (reply[seq.length - a - 1] ?? 32007) : 32007;
    });
    const s = session(be);
    const m1: ChatMessage[] = [{ role: 'user', content: 'Hi' }];
    const r1 = await s.generate({ messages: m1, sampling: GREEDY });
    expect(r1.text).toBe('Hello!');
    const p1 = r1.promptTokens;
    const m2: ChatMessage[] = [...m1, { role: 'assistant', content: r1.text }, { role: 'user', content: 'And?' }];
    expect(s.countTokens(m2)).toBe(s.tokenize(m2).length);
    const r2 = await s.generate({ messages: m2, sampling: GREEDY });
    expect(r2.reusedTokens).toBe(p1 + reply.length);
    expect(r2.evaluatedTokens).toBe(r2.promptTokens - p1 - reply.length);
    // The spliced prompt (what the backend now holds) spells the same text as the canonical one.
    expect(r2.tokens).toBe(0);
    s.reset();
    const canonical = s.tokenize(m2);
    expect(be.kv.length).toBe(r2.promptTokens);
    expect(tokenizer.decode(be.kv)).toBe(tokenizer.decode(canonical));
    expect(canonical.length).toBe(r2.promptTokens - 1);
  });

  it('an edited history reuses only the common prefix; reset() evaluates everything', async () => {
    const be = twoTurnBackend();
    const s = session(be);
    await s.generate({ messages: [{ role: 'user', content: 'Hi' }], sampling: GREEDY });
    const edited: ChatMessage[] = [{ role: 'user', content: 'Hey' }];
    const r = await s.generate({ messages: edited, sampling: GREEDY });
    expect(r.reusedTokens).toBe(1); // <|user|> only
    expect(r.text).toBe('Hello there!');
    s.reset();
    const r2 = await s.generate({ messages: edited, sampling: GREEDY });
    expect(r2.reusedTokens).toBe(0);
    expect(r2.evaluatedTokens).toBe(r2.promptTokens);
  });

  it('asking the same prompt again re-evaluates only its last token', async () => {
    const be = twoTurnBackend();
    const s = session(be);
    const m: ChatMessage[] = [{ role: 'user', content: 'Hi' }];
    const a = await s.generate({ messages: m, sampling: GREEDY });
    const b = await s.generate({ messages: m, sampling: GREEDY });
    expect(b.text).toBe(a.text);
    expect(b.evaluatedTokens).toBe(1);
  });
});

describe('ChatSession: streaming', () => {
  it('never splits a UTF-8 character across deltas (byte-fallback tokens)', async () => {
    const reply = [28705, 243, 162, 167, 153, 29383, 29530, 28705, 243, 162, 148, 171, 13156, 13, 22557];
    const be = new FakeBackend(scriptedReply(reply));
    const deltas: StreamDelta[] = [];
    const r = await session(be).generate({ messages: [{ role: 'user', content: 'x' }], sampling: GREEDY, onToken: (d) => deltas.push(d) });
    expect(r.text).toBe(tokenizer.decode(reply, { skipSpecialTokens: true }));
    expect(deltas.map((d) => d.text).join('')).toBe(r.text);
    for (const d of deltas) {
      expect(d.text).not.toContain('\uFFFD');
      expect(d.text.length).toBeGreaterThan(0);
      expect(/[\uD800-\uDBFF]$/.test(d.text)).toBe(false);
    }
    expect(deltas.map((d) => d.text)).toContain('🤖');
    // Token counts in deltas only grow.
    for (let i = 1; i < deltas.length; i++) expect(deltas[i]!.tokens).toBeGreaterThanOrEqual(deltas[i - 1]!.tokens);
  });

  it('stops on any generation_config eos id and reports which', async () => {
    const be = new FakeBackend(scriptedReply(enc('Yes'), 32001));
    const r = await session(be).generate({ messages: [{ role: 'user', content: 'x' }], sampling: GREEDY });
    expect(r.stop).toEqual({ reason: 'eos', stopTokenId: 32001 });
    expect(r.text).toBe('Yes');
  });

  it('stop strings end the reply before the string and never stream any part of it', async () => {
    const be = new FakeBackend(scriptedReply(enc('Answer: yes\nUser: more text')));
    const deltas: string[] = [];
    const r = await session(be).generate({
      messages: [{ role: 'user', content: 'x' }],
      sampling: { ...GREEDY, stop: ['\nUser:'] },
      onToken: (d) => deltas.push(d.text),
    });
    expect(r.text).toBe('Answer: yes');
    expect(r.stop).toEqual({ reason: 'eos', stopSequence: '\nUser:' });
    expect(deltas.join('')).toBe('Answer: yes');
  });

  it('max tokens ends with reason length', async () => {
    const be = new FakeBackend(scriptedReply(enc('one two three four five six seven')));
    const r = await session(be).generate({ messages: [{ role: 'user', content: 'x' }], sampling: { ...GREEDY, maxTokens: 3 } });
    expect(r.tokens).toBe(3);
    expect(r.stop).toEqual({ reason: 'length' });
    expect(r.text).toBe('one two three');
  });

  it('reports timing stats and the seed', async () => {
    const be = new FakeBackend(scriptedReply(enc('a b c d e')));
    be.delayMs = 2;
    const r = await session(be).generate({ messages: [{ role: 'user', content: 'x' }], sampling: { temperature: 0.8, seed: 77 } });
    expect(r.seed).toBe(77);
    expect(r.ttftMs).toBeGreaterThan(0);
    expect(r.tokensPerSecond).toBeGreaterThan(0);
    expect(r.tokensPerSecond).toBeLessThan(1000); // 2 ms per forward
    expect(r.totalMs).toBeGreaterThanOrEqual(r.ttftMs);
    const r2 = await session(new FakeBackend(scriptedReply(enc('a')))).generate({ messages: [{ role: 'user', content: 'x' }] });
    expect(Number.isSafeInteger(r2.seed)).toBe(true);
  });
});

describe('ChatSession: cancellation', () => {
  const endless = (): FakeBackend => new FakeBackend(scriptedReply(enc(' word'.repeat(400))));

  it('aborting from onToken stops before the next token is evaluated', async () => {
    const be = endless();
    be.delayMs = 1;
    const ac = new AbortController();
    let seen = 0;
    let atAbort = -1;
    const s = session(be);
    const r = await s.generate({
      messages: [{ role: 'user', content: 'x' }],
      sampling: GREEDY,
      signal: ac.signal,
      onToken: (d) => {
        if (++seen === 3) {
          atAbort = d.tokens;
          ac.abort();
        }
      },
    });
    expect(r.stop).toEqual({ reason: 'stopped' });
    expect(r.tokens).toBe(atAbort);
    expect(r.text).toBe(' word word word');
    // The prompt once, then one forward per token sampled before the abort, except the last.
    expect(be.calls.length).toBe(1 + atAbort - 1);
  });

  it('aborting while a forward is in flight returns right after it, sampling nothing more', async () => {
    const be = endless();
    be.delayMs = 5;
    const ac = new AbortController();
    be.onForward = (c) => {
      if (c.pos > 0 && be.calls.length === 6) setTimeout(() => ac.abort(), 1);
    };
    const r = await session(be).generate({ messages: [{ role: 'user', content: 'x' }], sampling: GREEDY, signal: ac.signal });
    expect(r.stop.reason).toBe('stopped');
    expect(be.calls.length).toBe(6);
    // Tokens sampled: one per completed forward before the abort (5), none after the 6th.
    expect(r.tokens).toBe(5);
  });

  it('an already-aborted signal evaluates nothing', async () => {
    const be = endless();
    const r = await session(be).generate({ messages: [{ role: 'user', content: 'x' }], signal: AbortSignal.abort() });
    expect(r.stop.reason).toBe('stopped');
    expect(r.tokens).toBe(0);
    expect(be.calls.length).toBe(0);
  });

  it('one generation at a time per session', async () => {
    const be = endless();
    be.delayMs = 2;
    const s = session(be);
    const ac = new AbortController();
    const first = s.generate({ messages: [{ role: 'user', content: 'x' }], signal: ac.signal, sampling: GREEDY });
    await expect(s.generate({ messages: [{ role: 'user', content: 'y' }] })).rejects.toThrow(SessionBusyError);
    ac.abort();
    await first;
    expect(s.busy).toBe(false);
  });
});

describe('ChatSession: context policy', () => {
  const long = (i: number): string => `Message number ${i} talks about harbors and rivers and the sea.`;
  const history = (turns: number): ChatMessage[] => {
    const m: ChatMessage[] = [{ role: 'system', content: 'You are terse.' }];
    for (let i = 0; i < turns; i++) m.push({ role: 'user', content: long(i) }, { role: 'assistant', content: `Reply ${i}.` });
    m.push({ role: 'user', content: 'And now?' });
    return m;
  };

  it('drops the oldest turns after the system prompt, says so, and keeps the newest', async () => {
    const be = new FakeBackend(scriptedReply(enc('Ok.')), 128);
    const s = session(be);
    const msgs = history(8);
    expect(s.countTokens(msgs) + 16).toBeGreaterThan(128);
    const r = await s.generate({ messages: msgs, sampling: { ...GREEDY, maxTokens: 16 } });
    expect(r.text).toBe('Ok.');
    expect(r.context.droppedMessages).toBeGreaterThan(0);
    expect(r.context.droppedMessages % 2).toBe(0); // whole user+assistant turns
    expect(r.context.note).toMatch(/left out/);
    // Never silent: the stop info says it too.
    expect(r.stop.droppedMessages).toBe(r.context.droppedMessages);
    expect(r.stop.contextNote).toBe(r.context.note);
    expect(r.context.promptTokens + 16).toBeLessThanOrEqual(128);
    expect(r.context.droppedFrom).toBe(1);
    const kept = [msgs[0]!, ...msgs.slice(1 + r.context.droppedMessages)];
    expect(kept[1]!.role).toBe('user');
    const sent = be.calls[0]!.tokens;
    expect(sent).toEqual(s.tokenize(kept));
    expect(sent[0]).toBe(32006); // <|system|> survives
    expect(tokenizer.decode(sent)).toContain('And now?');
    // Minimal: keeping one more turn would not have fit.
    const oneMore = [msgs[0]!, ...msgs.slice(1 + r.context.droppedMessages - 2)];
    expect(s.countTokens(oneMore) + 16).toBeGreaterThan(128);
  });

  it('when everything fits nothing is dropped and the note is null', async () => {
    const be = new FakeBackend(scriptedReply(enc('Ok.')), 4096);
    const r = await session(be).generate({ messages: history(3), sampling: GREEDY });
    expect(r.context.droppedMessages).toBe(0);
    expect(r.context.note).toBeNull();
    expect(r.stop).toEqual({ reason: 'eos', stopTokenId: 32007 });
  });

  it('when even the last message leaves too little room, the reply is limited and stops with reason context', async () => {
    const be = new FakeBackend(scriptedReply(enc(' word'.repeat(100))), 40);
    const s = session(be);
    const msgs: ChatMessage[] = [{ role: 'user', content: 'Tell me a long story about the sea.' }];
    const n = s.countTokens(msgs);
    const r = await s.generate({ messages: msgs, sampling: { ...GREEDY, maxTokens: 200 } });
    expect(r.stop.reason).toBe('context');
    expect(r.stop.contextNote).toMatch(/limited to/);
    expect(r.context.maxReplyTokens).toBe(40 - n);
    expect(r.tokens).toBe(40 - n);
    expect(r.context.note).toMatch(/limited to \d+ tokens/);
    expect(be.kv.length).toBeLessThanOrEqual(40);
  });

  it('a prompt that cannot fit at all is refused before anything is evaluated', async () => {
    const be = new FakeBackend(scriptedReply(enc('Ok.')), 16);
    await expect(
      session(be).generate({ messages: [{ role: 'user', content: long(1) + long(2) }], sampling: GREEDY }),
    ).rejects.toThrow(ContextOverflowError);
    expect(be.calls.length).toBe(0);
    await expect(session(be).generate({ messages: [] })).rejects.toThrow(/no messages/);
  });
});

describe('Generator (token level)', () => {
  it('stops with reason context when the window fills and rejects out-of-vocabulary ids', async () => {
    const be = new FakeBackend(() => 1000, 12);
    const g = new Generator(be, tokenizer, { eosTokenIds: PHI3_EOS });
    const r = await g.generate({ prompt: [1, 2, 3], sampling: { ...GREEDY, maxTokens: 100 } });
    expect(r.stop.reason).toBe('context');
    expect(r.promptTokens + r.tokens).toBe(12);
    await expect(g.generate({ prompt: [1, 99999] })).rejects.toThrow(/outside the vocabulary/);
    await expect(g.generate({ prompt: [] })).rejects.toThrow(/empty/);
  });

  it('evaluates long prompts in slices (cancellable between them) with correct positions', async () => {
    const be = new FakeBackend(() => 32007, 4096);
    const g = new Generator(be, tokenizer, { eosTokenIds: PHI3_EOS, prefillChunk: 100 });
    const prompt = Array.from({ length: 250 }, (_, i) => 100 + i);
    const ac = new AbortController();
    be.onForward = (c) => {
      if (c.pos === 0) ac.abort();
    };
    const cut = await g.generate({ prompt, sampling: GREEDY, signal: ac.signal });
    expect(cut.stop.reason).toBe('stopped');
    expect(cut.evaluatedTokens).toBe(100);
    expect(g.cachedTokens).toEqual(prompt.slice(0, 100));
    be.onForward = null;
    be.calls.length = 0;
    g.reset();
    await g.generate({ prompt, sampling: GREEDY });
    expect(be.calls.map((c) => [c.pos, c.tokens.length])).toEqual([
      [0, 100],
      [100, 100],
      [200, 50],
    ]);
    expect(g.cachedTokens).toEqual(prompt);
  });

  it('the same seed and settings give the same reply', async () => {
    // Logits that depend on the sequence and spread probability over many tokens.
    const noisy = new FakeBackend(() => 0);
    noisy.forward = async (tokens, pos) => {
      noisy.kv.length = pos;
      noisy.kv.push(...tokens);
      let h = noisy.kv.reduce((a, t) => Math.imul(a ^ t, 0x9e3779b1) >>> 0, 7);
      const out = new Float32Array(32064);
      for (let i = 0; i < 200; i++) {
        h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
        out[28000 + (h % 1000)] = (h % 1000) / 250;
      }
      return out;
    };
    const run = async (seed: number): Promise<number[]> => {
      const g = new Generator(noisy, tokenizer, { eosTokenIds: PHI3_EOS });
      return (await g.generate({ prompt: [1, 2, 3], sampling: { temperature: 1, topK: 50, topP: 0.9, seed, maxTokens: 20 } })).ids;
    };
    const a = await run(5);
    expect(await run(5)).toEqual(a);
    expect(await run(6)).not.toEqual(a);
  });
});

describe('ChatSession: continuing a partial reply', () => {
  it('ends the prompt with the partial text and returns only the new text', async () => {
    // The fake model spells "Hello there!" after the assistant opener, wherever it is asked to resume.
    const be = twoTurnBackend();
    const s = session(be);
    const m: ChatMessage[] = [{ role: 'user', content: 'Hi' }];
    const partial = 'Hello';
    const r = await s.generate({ messages: m, sampling: GREEDY, assistantPrefix: partial });
    expect(r.text).toBe(' there!');
    const prompt = s.tokenize(m);
    const expected = tokenizer.encode(template.render(m, { addGenerationPrompt: true }) + partial, { addSpecialTokens: false });
    expect(be.calls[0]!.tokens).toEqual(expected);
    expect(expected.length).toBeGreaterThan(prompt.length);
    expect(r.promptTokens).toBe(expected.length);
  });
});
