import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./fake-electron.js'));

const fake = await import('./fake-electron.js');
const { APP_ORIGIN, hardenSession, hardenWebContents, isTrustedSender, mainWindowOptions, trustedOrigins } = await import('../../../src-main/electron/security.js');

describe('window options', () => {
  it('isolates and sandboxes the renderer, without Node', () => {
    const o = mainWindowOptions('/app/preload.cjs');
    expect(o.webPreferences).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });
});

describe('web contents hardening', () => {
  const origins = trustedOrigins(undefined);
  const wc = new fake.FakeWebContents();
  hardenWebContents(wc as never, origins);

  it('denies window.open', () => {
    expect(wc.windowOpenHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler?.({ url: `${APP_ORIGIN}/index.html` })).toEqual({ action: 'deny' });
  });

  it('blocks navigation and redirects away from the app', () => {
    expect(wc.fire('will-navigate', 'https://example.com/')).toBe(true);
    expect(wc.fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(wc.fire('will-redirect', 'http://127.0.0.1:7860/')).toBe(true);
    expect(wc.fire('will-navigate', `${APP_ORIGIN}/index.html`)).toBe(false);
    expect(wc.fire('will-attach-webview')).toBe(true);
  });

  it('trusts the dev server only when one is configured', () => {
    expect(trustedOrigins('http://localhost:5173/')).toContain('http://localhost:5173');
    expect(origins).toEqual([APP_ORIGIN]);
  });
});

describe('session hardening', () => {
  const s = new fake.FakeSession();
  hardenSession(s as never);

  it('denies every permission request and check', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen']) {
      let answer: boolean | undefined;
      s.permissionRequestHandler?.({}, permission, (ok) => (answer = ok));
      expect(answer, permission).toBe(false);
      expect(s.permissionCheckHandler?.({}, permission, APP_ORIGIN)).toBe(false);
    }
    expect(s.devicePermissionHandler?.({})).toBe(false);
  });

  it('loads no remote content', () => {
    const decide = (url: string) => {
      let cancel: boolean | undefined;
      s.beforeRequest?.({ url }, (r) => (cancel = r.cancel));
      return cancel;
    };
    expect(decide('https://cdn.example.com/x.js')).toBe(true);
    expect(decide('http://127.0.0.1:8080/')).toBe(true);
    expect(decide('ws://evil.example/')).toBe(true);
    expect(decide(`${APP_ORIGIN}/assets/app.js`)).toBe(false);
    expect(decide('data:image/png;base64,AAAA')).toBe(false);
  });
});

describe('IPC sender check', () => {
  const origins = trustedOrigins(undefined);
  it('accepts our main frame only', () => {
    expect(isTrustedSender({ url: `${APP_ORIGIN}/index.html`, parent: null } as never, origins)).toBe(true);
    expect(isTrustedSender({ url: `${APP_ORIGIN}/index.html`, parent: {} } as never, origins)).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', parent: null } as never, origins)).toBe(false);
    expect(isTrustedSender({ url: 'app://other/index.html', parent: null } as never, origins)).toBe(false);
    expect(isTrustedSender(null, origins)).toBe(false);
  });
});
