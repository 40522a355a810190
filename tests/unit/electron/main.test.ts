// Boots the real Electron main module against the fake `electron` and checks its wiring.
import { describe, expect, it, vi } from 'vitest';
import { IPC_INVOKE } from '../../../src-shared/contract.js';

vi.mock('electron', () => import('./fake-electron.js'));

const fake = await import('./fake-electron.js');
await import('../../../src-main/electron/main.js');
// let whenReady() continuations and the fake engine host's 'ready' run
await new Promise((r) => setTimeout(r, 50));

describe('Electron main process', () => {
  it('registers the app scheme as privileged before ready and serves the renderer with a CSP', async () => {
    expect(fake.protocol.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    const handler = fake.protocol.handlers.get('app');
    expect(handler).toBeDefined();
    const bad = await handler!(new Request('app://qins/..%2f..%2fpackage.json'));
    expect(bad.status).toBe(400);
  });

  it('opens one hardened window on the app scheme with the preload bridge', () => {
    expect(fake.BrowserWindow.instances).toHaveLength(1);
    const win = fake.BrowserWindow.instances[0]!;
    expect(win.loadedUrl).toBe('app://qins/index.html');
    const prefs = win.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(String(prefs.preload)).toMatch(/preload[/\\]bridge\.cjs$/);
    // the window's contents were hardened through 'web-contents-created'
    expect(win.webContents.windowOpenHandler?.({ url: 'https://example.com/x' })).toEqual({ action: 'deny' });
    expect(fake.shell.external).toContain('https://example.com/x');
    expect(win.webContents.fire('will-navigate', 'https://example.com')).toBe(true);
  });

  it('starts the engine host as a utility process', () => {
    expect(fake.utilityProcess.forks).toHaveLength(1);
    expect(fake.utilityProcess.forks[0]!.entry).toMatch(/engine-host\.js$/);
  });

  it('denies permissions on the default session', () => {
    let answer: boolean | undefined;
    fake.session.defaultSession.permissionRequestHandler?.({}, 'media', (ok) => (answer = ok));
    expect(answer).toBe(false);
  });

  it('routes IPC from our frame and refuses it from anything else', async () => {
    const handler = fake.ipcMain.handlers.get(IPC_INVOKE)!;
    const sender = new fake.FakeWebContents();
    const trusted = await handler({ senderFrame: { url: 'app://qins/index.html', parent: null }, sender }, { id: 1, channel: 'engine.status', payload: {} });
    expect(trusted).toMatchObject({ id: 1, ok: true, result: { state: 'ready' } });
    const foreign = await handler({ senderFrame: { url: 'https://evil.example/', parent: null }, sender }, { id: 2, channel: 'engine.status', payload: {} });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    const malformed = await handler({ senderFrame: { url: 'app://qins/index.html', parent: null }, sender }, { nonsense: true });
    expect(malformed).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
  });

  it('offers the native folder picker to our frame', async () => {
    const handler = fake.ipcMain.handlers.get(IPC_INVOKE)!;
    const frame = { senderFrame: { url: 'app://qins/index.html', parent: null }, sender: new fake.FakeWebContents() };
    fake.dialog.nextPick = '/Users/me/models/Phi-3.5-mini-instruct';
    expect(await handler(frame, { id: 3, channel: 'models.pickFolder', payload: {} })).toMatchObject({ ok: true, result: { path: '/Users/me/models/Phi-3.5-mini-instruct' } });
    fake.dialog.nextPick = null;
    expect(await handler(frame, { id: 4, channel: 'models.pickFolder', payload: {} })).toMatchObject({ ok: true, result: { path: null } });
  });

  it('installs an application menu', () => {
    expect(Array.isArray(fake.Menu.template)).toBe(true);
  });
});
