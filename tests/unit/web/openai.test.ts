import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QinsError } from '../../../src-shared/contract.js';
import { AppCore } from '../../../src-main/core/app-core.js';
import { forkLauncher } from '../../../src-main/core/engine-supervisor.js';
import { type CompletionRequest, type CompletionService, openAiRoute, samplingFrom } from '../../../src-main/web/openai.js';
import { startWebHost, type WebHost } from '../../../src-main/web/server.js';
import { builtEngineHost } from '../helpers/built.js';

/** A deterministic fake: echoes the last user message word by word; one generation at a time, queue of 1. */
class FakeService implements CompletionService {
  running = 0;
  waiting = 0;
  cancelled = 0;
  last: CompletionRequest | undefined;
  delayMs = 0;
  async listModels() {
    return [{ id: 'tiny-phi3-chat-qins8', created: 1700000000 }];
  }
  async complete(req: CompletionRequest) {
    if (req.model && req.model !== 'tiny-phi3-chat-qins8') throw new QinsError('NOT_FOUND', `no model named ${req.model}`);
    if (this.running && this.waiting >= 1) throw new QinsError('BUSY', 'the queue is full');
    this.waiting++;
    while (this.running) await new Promise((r) => setTimeout(r, 5));
    this.waiting--;
    this.running++;
    this.last = req;
    try {
      const words = (req.messages.at(-1)?.content ?? '').split(' ');
      const max = req.sampling.max_tokens ?? Infinity;
      let text = '';
      let n = 0;
      for (const w of words) {
        if (req.signal.aborted) {
          this.cancelled++;
          throw new QinsError('CANCELLED', 'cancelled');
        }
        if (n >= max) break;
        const piece = (n ? ' ' : '') + w;
        req.onDelta(piece);
        text += piece;
        n++;
        if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      }
      return { model: 'tiny-phi3-chat-qins8', text, finishReason: n >= max && n < words.length ? ('length' as const) : ('stop' as const), promptTokens: 10, completionTokens: n };
    } finally {
      this.running--;
    }
  }
}

let core: AppCore;
let host: WebHost;
const service = new FakeService();

beforeAll(async () => {
  process.env.QINS_HOME = mkdtempSync(join(tmpdir(), 'qins-api-'));
  core = new AppCore({ mode: 'web', launcher: forkLauncher(builtEngineHost()) });
  await core.start();
  host = await startWebHost({ core, rendererDir: mkdtempSync(join(tmpdir(), 'r-')), port: 0, routes: [openAiRoute(service)] });
});
afterAll(async () => {
  await host?.close();
  await core?.stop();
});

function raw(method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, method, path, headers: { Host: `127.0.0.1:${host.port}`, Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const client = () => new OpenAI({ baseURL: `http://127.0.0.1:${host.port}/v1`, apiKey: host.token, maxRetries: 0 });

describe('OpenAI-compatible API (fake engine)', () => {
  it('lists models', async () => {
    const models = await client().models.list();
    expect(models.data.map((m) => m.id)).toEqual(['tiny-phi3-chat-qins8']);
  });

  it('non-streaming and streaming give the same text through the official client', async () => {
    const messages = [{ role: 'user' as const, content: 'the quick brown fox' }];
    const full = await client().chat.completions.create({ model: 'tiny-phi3-chat-qins8', messages, temperature: 0 });
    expect(full.choices[0]?.message.content).toBe('the quick brown fox');
    expect(full.choices[0]?.finish_reason).toBe('stop');
    expect(full.usage).toEqual({ prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 });
    const stream = await client().chat.completions.create({ model: 'tiny-phi3-chat-qins8', messages, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: unknown;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe('the quick brown fox');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: 4 });
  });

  it('maps sampling fields, including our extras', async () => {
    await client().chat.completions.create({
      model: 'tiny-phi3-chat-qins8',
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'a b c' }],
      temperature: 0.3,
      top_p: 0.8,
      max_tokens: 2,
      seed: 42,
      stop: ['END'],
      // @ts-expect-error extra sampler fields beyond OpenAI's
      top_k: 7,
      min_p: 0.1,
      repetition_penalty: 1.2,
    });
    expect(service.last?.sampling).toMatchObject({ temperature: 0.3, top_p: 0.8, max_tokens: 2, seed: 42, stop: ['END'], top_k: 7, min_p: 0.1, repetition_penalty: 1.2 });
    expect(service.last?.messages[0]).toEqual({ role: 'system', content: 'be brief' });
    expect(samplingFrom({ messages: [], stream: false } as never).repetition_penalty).toBe(1);
  });

  it('finish_reason length when max_tokens cuts the reply', async () => {
    const r = await client().chat.completions.create({ model: 'tiny-phi3-chat-qins8', messages: [{ role: 'user', content: 'one two three' }], max_tokens: 1 });
    expect(r.choices[0]?.finish_reason).toBe('length');
    expect(r.choices[0]?.message.content).toBe('one');
  });

  it('raw HTTP: SSE framing with data: lines and a final [DONE]', async () => {
    const r = await raw('POST', '/v1/chat/completions', JSON.stringify({ messages: [{ role: 'user', content: 'hi there' }], stream: true }));
    expect(r.status).toBe(200);
    expect(String(r.headers['content-type'])).toMatch(/text\/event-stream/);
    const events = r.body.split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as { choices: Array<{ delta: { content?: string }; finish_reason: string | null }> });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('hi there');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('401 without the token; 400 on malformed JSON and invalid fields; 404 unknown model; 413 oversize', async () => {
    expect((await raw('GET', '/v1/models', undefined, { Authorization: '' })).status).toBe(401);
    expect((await raw('GET', '/v1/models', undefined, { Authorization: 'Bearer wrong' })).status).toBe(401);
    const bad = await raw('POST', '/v1/chat/completions', '{"messages": [');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toMatch(/malformed JSON/);
    const invalid = await raw('POST', '/v1/chat/completions', JSON.stringify({ messages: [{ role: 'tool', content: 'x' }] }));
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body).error.param).toBe('messages.0.role');
    const temp = await raw('POST', '/v1/chat/completions', JSON.stringify({ messages: [{ role: 'user', content: 'x' }], temperature: 9 }));
    expect(temp.status).toBe(400);
    const unknown = await raw('POST', '/v1/chat/completions', JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }));
    expect(unknown.status).toBe(404);
    const big = await raw('POST', '/v1/chat/completions', JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(1024 * 1024) }] }));
    expect(big.status).toBe(413);
    expect((await raw('GET', '/v1/chat/completions', undefined)).status).toBe(405);
    expect((await raw('GET', '/v1/nothing', undefined)).status).toBe(404);
  });

  it('refuses a foreign Origin and a foreign Host', async () => {
    expect((await raw('POST', '/v1/chat/completions', '{}', { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await raw('GET', '/v1/models', undefined, { Host: 'evil.example' })).status).toBe(403);
  });

  it('a full queue answers 429 with Retry-After; a disconnecting client cancels its generation', async () => {
    service.delayMs = 40;
    const words = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ');
    const body = JSON.stringify({ messages: [{ role: 'user', content: words }], stream: true });
    // one running (its client disconnects later), one waiting, the third refused
    let disconnect: () => void = () => undefined;
    const firstBytes = new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: host.port, method: 'POST', path: '/v1/chat/completions', headers: { Host: `127.0.0.1:${host.port}`, Authorization: `Bearer ${host.token}` } }, (res) => {
        res.once('data', () => resolve());
      });
      disconnect = () => req.destroy();
      req.on('error', () => undefined);
      req.end(body);
    });
    await firstBytes;
    const second = raw('POST', '/v1/chat/completions', JSON.stringify({ messages: [{ role: 'user', content: 'queued one' }] }));
    await new Promise((r) => setTimeout(r, 20));
    const third = await raw('POST', '/v1/chat/completions', JSON.stringify({ messages: [{ role: 'user', content: 'refused' }] }));
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBe('2');
    disconnect();
    const queued = await second;
    expect(queued.status).toBe(200);
    expect(JSON.parse(queued.body).choices[0].message.content).toBe('queued one');
    expect(service.cancelled).toBe(1);
    service.delayMs = 0;
  });
});
