// The desktop app's local API keeps one token in the data folder across starts until regenerated,
// listens on the port of the settings, and says so when that port is taken.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiStatus, RequestChannel, RequestOf, ResponseOf } from '../../../src-shared/contract.js';
import { apiTokenPath, loadApiToken, regenerateApiToken } from '../../../src-main/core/api-token.js';
import { AppCore } from '../../../src-main/core/app-core.js';
import { forkLauncher } from '../../../src-main/core/engine-supervisor.js';
import { startApiHost } from '../../../src-main/web/server.js';
import { builtEngineHost } from '../helpers/built.js';

let home: string;
const saved = process.env.QINS_HOME;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'qins-api-token-'));
  process.env.QINS_HOME = home;
});
afterAll(() => {
  process.env.QINS_HOME = saved;
  rmSync(home, { recursive: true, force: true });
});

/** A desktop-mode core (the engine host is never started here). */
function desktopCore(): AppCore {
  return new AppCore({ mode: 'electron', launcher: forkLauncher(builtEngineHost()), firstRun: false, startApi: (c, listen) => startApiHost(c, listen) });
}

async function call<C extends RequestChannel>(core: AppCore, channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
  const reply = await core.router.handle({ id: 1, channel, payload }, core.connect(() => undefined));
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
  return reply.result as ResponseOf<C>;
}

async function models(status: ApiStatus, token: string): Promise<number> {
  const r = await fetch(`${status.url}/models`, { headers: { Authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  return r.status;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('the stored API token', () => {
  it('is made once (owner-only file), then read back; a malformed file is replaced', () => {
    const t = loadApiToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(loadApiToken()).toBe(t);
    expect(readFileSync(apiTokenPath(), 'utf8').trim()).toBe(t);
    if (process.platform !== 'win32') expect(statSync(apiTokenPath()).mode & 0o777).toBe(0o600);
    writeFileSync(apiTokenPath(), 'short\n');
    const replaced = loadApiToken();
    expect(replaced).not.toBe('short');
    expect(replaced).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(regenerateApiToken()).not.toBe(replaced);
  });
});

describe('the desktop API', () => {
  it('uses the same token across restarts of the API and of the app, on the port of the settings', async () => {
    const port = await freePort();
    const stored = loadApiToken();
    const core = desktopCore();
    await call(core, 'settings.update', { apiPort: port });
    const on = await call(core, 'api.setEnabled', { enabled: true });
    expect(on).toMatchObject({ enabled: true, port, token: stored, notice: null, url: `http://127.0.0.1:${port}/v1` });
    expect(await models(on, stored)).toBe(200);
    expect(await models(on, 'wrong-token-wrong-token-wrong-token')).toBe(401);
    await call(core, 'api.setEnabled', { enabled: false });
    expect((await call(core, 'api.setEnabled', { enabled: true })).token).toBe(stored);
    await core.stop();

    const again = desktopCore();
    await again.start();
    const status = await call(again, 'api.status', {});
    expect(status).toMatchObject({ enabled: true, port, token: stored });
    await again.stop();
  });

  it('regenerates the token: the old one is refused at once, the new one is stored and works', async () => {
    const core = desktopCore();
    const before = await call(core, 'api.setEnabled', { enabled: true });
    const after = await call(core, 'api.regenerateToken', {});
    expect(after.token).not.toBe(before.token);
    expect(readFileSync(apiTokenPath(), 'utf8').trim()).toBe(after.token);
    expect(await models(after, before.token!)).toBe(401);
    expect(await models(after, after.token!)).toBe(200);
    await core.stop();
  });

  it('takes a free port with a notice when its port is busy, and moves when the port setting changes', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = (blocker.address() as { port: number }).port;
    const core = desktopCore();
    try {
      await call(core, 'settings.update', { apiPort: busy });
      const s = await call(core, 'api.setEnabled', { enabled: true });
      expect(s.port).not.toBe(busy);
      expect(s.notice).toContain(`Port ${busy} is in use`);
      expect(s.notice).toContain(`port ${s.port}`);
      expect(await models(s, s.token!)).toBe(200);
      const port = await freePort();
      await call(core, 'settings.update', { apiPort: port });
      expect(await call(core, 'api.status', {})).toMatchObject({ port, notice: null });
      await expect(call(core, 'settings.update', { apiPort: 70000 })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    } finally {
      await core.stop();
      blocker.close();
    }
  });

  it('under qins serve, a new token comes from --new-token, not from the page', async () => {
    const core = new AppCore({ mode: 'web', launcher: forkLauncher(builtEngineHost()), firstRun: false });
    await expect(call(core, 'api.regenerateToken', {})).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('--new-token') });
    await core.stop();
  });
});
