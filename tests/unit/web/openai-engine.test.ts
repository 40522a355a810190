// The OpenAI-compatible API on the real engine: the official client, streaming and not, identical
// text at temperature 0; a disconnecting client cancels; an engine crash ends the SSE stream with
// an error and the next request succeeds.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppCore } from '../../../src-main/core/app-core.js';
import { forkLauncher } from '../../../src-main/core/engine-supervisor.js';
import { apiRoutes } from '../../../src-main/web/openai.js';
import { startWebHost, type WebHost } from '../../../src-main/web/server.js';
import { builtEngineHost } from '../helpers/built.js';

let core: AppCore;
let host: WebHost;
let home: string;
let model: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'qins-api-engine-'));
  process.env.QINS_HOME = home;
  core = new AppCore({ mode: 'web', launcher: forkLauncher(builtEngineHost()) });
  await core.start();
  host = await startWebHost({ core, rendererDir: home, port: 0, routes: apiRoutes(core) });
  core.attachWebHost(host);
  while (core.library.list().length === 0) await new Promise((r) => setTimeout(r, 100));
  model = core.library.list()[0]!.id;
}, 180_000);

afterAll(async () => {
  await host?.close();
  await core?.stop();
  rmSync(home, { recursive: true, force: true });
});

const client = () => new OpenAI({ baseURL: `http://127.0.0.1:${host.port}/v1`, apiKey: host.token, maxRetries: 0 });

describe('OpenAI API on the engine', () => {
  it('lists the converted model', async () => {
    const list = await client().models.list();
    expect(list.data.map((m) => m.id)).toEqual([model]);
  });

  it('streaming and non-streaming replies are identical at temperature 0', async () => {
    const messages = [{ role: 'user' as const, content: 'What does "harbor" mean?' }];
    const full = await client().chat.completions.create({ model, messages, temperature: 0, max_tokens: 40 });
    const text = full.choices[0]!.message.content!;
    expect(text).toMatch(/harbor/);
    expect(full.usage!.completion_tokens).toBeGreaterThan(3);
    let streamed = '';
    let chunks = 0;
    for await (const c of await client().chat.completions.create({ model, messages, temperature: 0, max_tokens: 40, stream: true })) {
      streamed += c.choices[0]?.delta.content ?? '';
      chunks++;
    }
    expect(streamed).toBe(text);
    expect(chunks).toBeGreaterThan(3);
  }, 60_000);

  it('a client that disconnects cancels its generation; the next request is served at once', async () => {
    const long = JSON.stringify({ model, messages: [{ role: 'user', content: 'Tell me a long story about ships.' }], max_tokens: 4000, temperature: 1, seed: 3, stream: true });
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: host.port, method: 'POST', path: '/v1/chat/completions', headers: { Host: `127.0.0.1:${host.port}`, Authorization: `Bearer ${host.token}` } }, (res) => {
        let seen = 0;
        res.on('data', () => {
          if (++seen === 3) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', () => undefined);
      req.end(long);
    });
    const t0 = performance.now();
    const r = await client().chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 });
    expect(r.choices[0]!.message.content).toBeTypeOf('string');
    // had the 4000-token story not been cancelled, this request would wait for it
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(core.queue.length).toBe(0);
  }, 60_000);

  it('an engine crash ends the SSE stream with an error; the engine restarts and the next request succeeds', async () => {
    const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Tell me a long story about the sea.' }], max_tokens: 4000, temperature: 1, seed: 5, stream: true });
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: host.port, method: 'POST', path: '/v1/chat/completions', headers: { Host: `127.0.0.1:${host.port}`, Authorization: `Bearer ${host.token}` } }, (res) => {
        let all = '';
        let killed = false;
        res.on('data', (d: Buffer) => {
          all += d.toString();
          if (!killed && all.split('data: ').length > 4) {
            killed = true;
            process.kill(core.engine.status().pid!, 'SIGKILL');
          }
        });
        res.on('end', () => resolve(all));
      });
      req.on('error', reject);
      req.end(body);
    });
    const events = text.split('\n\n').filter(Boolean);
    const last = JSON.parse(events.at(-1)!.slice(6)) as { error?: { code: string } };
    expect(last.error?.code).toBe('engine_crashed');
    expect(text).not.toContain('[DONE]');
    const r = await client().chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 });
    expect(r.choices[0]!.finish_reason).toMatch(/stop|length/);
  }, 90_000);
});
