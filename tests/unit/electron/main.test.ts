// Boots the real Electron main module against the fake `electron` and checks its wiring.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { IPC_INVOKE } from '../../../src-shared/contract.js';

vi.mock('electron', () => import('./fake-electron.js'));

const fake = await import('./fake-electron.js');
// A window state from an earlier run, and a model file on the command line.
mkdirSync(join(fake.fakeHome, 'userData'), { recursive: true });
writeFileSync(join(fake.fakeHome, 'userData', 'window-state.json'), JSON.stringify({ x: 200, y: 150, width: 1000, height: 700, maximized: true }));
process.argv.push('/models/from-the-command-line.qins');
await import('../../../src-main/electron/main.js');
process.argv.pop();
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

  it('has a Help → Open Logs Folder item and DevTools only in the development View menu', async () => {
    const template = fake.Menu.template as Array<{ role?: string; label?: string; submenu?: Array<{ label?: string; role?: string; click?: () => void }> }>;
    const help = template.find((m) => m.role === 'help');
    const item = help?.submenu?.find((i) => i.label === 'Open Logs Folder');
    expect(item).toBeDefined();
    item!.click!();
    expect(fake.shell.opened).toContain(join(fake.fakeHome, 'logs'));
    const { menuTemplate } = await import('../../../src-main/electron/menu.js');
    const roles = (dev: boolean) =>
      menuTemplate({ openDataFolder() {}, openLogsFolder() {}, addModel() {} }, { dev, platform: 'linux' })
        .flatMap((m) => (Array.isArray(m.submenu) ? m.submenu : []))
        .map((i) => i.role);
    expect(roles(true)).toContain('toggleDevTools');
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(false)).not.toContain('forceReload');
  });

  it('writes main-process, engine-host stderr and renderer errors to the log file in the logs folder', async () => {
    const file = join(fake.fakeHome, 'logs', 'qins.log');
    fake.utilityProcess.forks[0]!.child.stderr.emit('data', Buffer.from('engine says: out of patience\npartial'));
    fake.utilityProcess.forks[0]!.child.stderr.emit('data', Buffer.from(' line\n'));
    const handler = fake.ipcMain.handlers.get(IPC_INVOKE)!;
    const frame = { senderFrame: { url: 'app://qins/index.html', parent: null }, sender: new fake.FakeWebContents() };
    expect(await handler(frame, { id: 9, channel: 'app.reportError', payload: { message: 'TypeError: x is undefined', stack: 'at Foo (app.js:1)' } })).toMatchObject({
      ok: true,
      result: { logged: true },
    });
    let text = '';
    for (let i = 0; i < 50 && !/TypeError/.test(text); i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    }
    expect(text).toMatch(/INFO {2}\[main\] QINS Chat 0\.0\.0-test starting/);
    expect(text).toMatch(/WARN {2}\[engine-host\] engine says: out of patience\n/);
    expect(text).toMatch(/WARN {2}\[engine-host\] partial line\n/);
    expect(text).toMatch(/ERROR \[renderer\] TypeError: x is undefined\nat Foo \(app\.js:1\)/);
  });

  it('opens the window where it was (size, position, maximized) and stores its state when it closes', () => {
    const win = fake.BrowserWindow.instances[0]!;
    expect(win.options).toMatchObject({ x: 200, y: 150, width: 1000, height: 700 });
    expect(win.maximized).toBe(true);
    win.bounds = { x: 300, y: 260, width: 1111, height: 777 };
    win.maximized = false;
    win.emit('close');
    expect(JSON.parse(readFileSync(join(fake.fakeHome, 'userData', 'window-state.json'), 'utf8'))).toEqual({ x: 300, y: 260, width: 1111, height: 777, maximized: false });
  });

  it('adds model files from the command line, open-file and a second instance, and says why one cannot be added', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const details = () => fake.dialog.messages.map((m) => m.detail ?? '');
    // the command-line file was queued until the core was ready
    expect(details().some((d) => d.includes('from-the-command-line.qins'))).toBe(true);
    let prevented = false;
    fake.app.emit('open-file', { preventDefault: () => (prevented = true) }, '/models/double-clicked.qinz');
    fake.app.emit('second-instance', {}, ['/usr/bin/qins-chat', '--flag', 'relative.qins', 'notes.txt'], '/home/me');
    await new Promise((r) => setTimeout(r, 50));
    expect(prevented).toBe(true);
    expect(details().some((d) => d.includes('/models/double-clicked.qinz'))).toBe(true);
    expect(details().some((d) => d.includes('/home/me/relative.qins'))).toBe(true);
    expect(details().some((d) => d.includes('notes.txt'))).toBe(false);
    expect(fake.dialog.messages.every((m) => m.type === 'error' && m.message === 'This model file cannot be added')).toBe(true);
  });

  it('offers the native file picker for .qins / .qinz files', async () => {
    const handler = fake.ipcMain.handlers.get(IPC_INVOKE)!;
    const frame = { senderFrame: { url: 'app://qins/index.html', parent: null }, sender: new fake.FakeWebContents() };
    fake.dialog.nextPick = '/Users/me/Downloads/phi.qinz';
    expect(await handler(frame, { id: 5, channel: 'models.pickFile', payload: {} })).toMatchObject({ ok: true, result: { path: '/Users/me/Downloads/phi.qinz' } });
    expect(fake.dialog.openOptions.at(-1)).toMatchObject({ properties: ['openFile'], filters: [{ extensions: ['qins', 'qinz'] }, { extensions: ['*'] }] });
    fake.dialog.nextPick = null;
  });
});
