import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AppCore } from '../../../src-main/core/app-core.js';
import { forkLauncher } from '../../../src-main/core/engine-supervisor.js';
import { startWebHost, type WebHost } from '../../../src-main/web/server.js';
import { resolveInside } from '../../../src-main/web/static.js';
import { builtEngineHost } from '../helpers/built.js';

let core: AppCore;
let host: WebHost;
let root: string;

beforeAll(async () => {
  process.env.QINS_HOME = mkdtempSync(join(tmpdir(), 'qins-web-'));
  root = mkdtempSync(join(tmpdir(), 'qins-renderer-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(tmpdir(), 'qins-secret.txt'), 'secret');
  core = new AppCore({ mode: 'web', launcher: forkLauncher(builtEngineHost()) });
  await core.start();
  host = await startWebHost({ core, rendererDir: root, port: 0 });
});
afterAll(async () => {
  await host?.close();
  await core?.stop();
});

/** Raw HTTP so the Host header and path are sent exactly as given. */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, headers: { Host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openWs(headers: Record<string, string>, query = `?token=${host.token}`): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('web host guards', () => {
  it('401 without or with a wrong token; 200 with it (and sets a cookie)', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=nope')).status).toBe(401);
    expect((await get('/', { Authorization: 'Bearer nope' })).status).toBe(401);
    const ok = await get(`/?token=${host.token}`);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-security-policy']).toMatch(/default-src 'none'/);
    const cookie = String(ok.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const cookieValue = cookie.split(';')[0]!;
    expect((await get('/assets/app.js', { Cookie: cookieValue })).status).toBe(200);
    expect((await get('/assets/app.js', { Authorization: `Bearer ${host.token}` })).status).toBe(200);
  });

  it('403 for a Host header other than 127.0.0.1/localhost with our port (DNS rebinding)', async () => {
    for (const h of ['evil.example', `evil.example:${host.port}`, '127.0.0.1', `127.0.0.1:${host.port + 1}`, `localhost.evil:${host.port}`]) {
      expect((await get(`/?token=${host.token}`, { Host: h })).status, h).toBe(403);
    }
    expect((await get(`/?token=${host.token}`, { Host: `localhost:${host.port}` })).status).toBe(200);
  });

  it('never serves files outside the renderer folder', async () => {
    for (const p of ['/../qins-secret.txt', '/%2e%2e/qins-secret.txt', '/assets/../../qins-secret.txt', '/..%2fqins-secret.txt', '/%00']) {
      const r = await get(`${p}${p.includes('?') ? '&' : '?'}token=${host.token}`);
      expect(r.body, p).not.toContain('secret');
    }
    expect(resolveInside('/srv/app', '/../etc/passwd')).toBe(null);
    expect(resolveInside('/srv/app', '/a/../b.js')).toBe('/srv/app/b.js');
    expect(resolveInside('/srv/app', '/..%2f..%2fetc/passwd')).toBe(null);
  });

  it('404 for missing assets, the app for client-side routes', async () => {
    expect((await get(`/assets/missing.js?token=${host.token}`)).status).toBe(404);
    const r = await get(`/conversations/42?token=${host.token}`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>t</title>');
  });
});

describe('web host WebSocket', () => {
  it('refuses a foreign Origin, a wrong token and a foreign Host', async () => {
    await expect(openWs({ Origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(openWs({ Origin: `http://127.0.0.1:${host.port + 1}` })).rejects.toThrow(/403/);
    await expect(openWs({ Origin: `http://127.0.0.1:${host.port}` }, '?token=wrong')).rejects.toThrow(/401/);
    await expect(openWs({ Host: 'evil.example' })).rejects.toThrow(/403/);
  });

  it('serves the contract to our own origin: requests, validation errors and telemetry events', async () => {
    const ws = await openWs({ Origin: `http://127.0.0.1:${host.port}` });
    const replies = new Map<number, unknown>();
    const samples: unknown[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { id?: number; event?: string };
      if (m.event === 'telemetry.sample') samples.push(m);
      else if (typeof m.id === 'number') replies.set(m.id, m);
    });
    const ask = (id: number, channel: string, payload: unknown) =>
      new Promise<Record<string, unknown>>((resolve) => {
        ws.send(JSON.stringify({ id, channel, payload }));
        const t = setInterval(() => {
          if (replies.has(id)) {
            clearInterval(t);
            resolve(replies.get(id) as Record<string, unknown>);
          }
        }, 5);
      });
    const info = await ask(1, 'app.info', {});
    expect(info).toMatchObject({ ok: true, result: { mode: 'web' } });
    const ping = await ask(2, 'engine.ping', {});
    expect(ping).toMatchObject({ ok: true });
    expect((ping.result as { pid: number }).pid).not.toBe(process.pid);
    const bad = await ask(3, 'telemetry.subscribe', { intervalMs: 'often' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    ws.send('not json at all');
    const sub = await ask(4, 'telemetry.subscribe', { intervalMs: 250 });
    expect(sub).toMatchObject({ ok: true });
    await new Promise((r) => setTimeout(r, 900));
    expect(samples.length).toBeGreaterThanOrEqual(2);
    const s = samples.at(-1) as { payload: { engine: { rss: number } | null; main: { rss: number } } };
    expect(s.payload.main.rss).toBeGreaterThan(0);
    expect(s.payload.engine?.rss).toBeGreaterThan(0);
    ws.close();
  });
});
