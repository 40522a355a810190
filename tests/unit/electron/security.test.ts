import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./fake-electron.js'));

const fake = await import('./fake-electron.js');
const { APP_ORIGIN, hardenSession, hardenWebContents, isExternalLink, isTrustedSender, mainWindowOptions, trustedOrigins } = await import('../../../src-main/electron/security.js');

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
  const opened: string[] = [];
  hardenWebContents(wc as never, origins, async (url) => {
    opened.push(url);
  });

  it('denies window.open and sends http(s) links to the system browser, nothing else', () => {
    opened.length = 0;
    expect(wc.windowOpenHandler?.({ url: 'https://example.com/a?b=1' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler?.({ url: 'http://example.org/' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler?.({ url: `${APP_ORIGIN}/index.html` })).toEqual({ action: 'deny' });
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'mailto:a@b.c', 'vscode://x', 'not a url', 'http://'])
      expect(wc.windowOpenHandler?.({ url })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://example.com/a?b=1', 'http://example.org/']);
  });

  it('opens a link clicked in place (navigation) in the system browser instead of navigating', () => {
    opened.length = 0;
    expect(wc.fire('will-navigate', 'https://example.com/docs')).toBe(true);
    expect(wc.fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(opened).toEqual(['https://example.com/docs']);
  });

  it('classifies external links', () => {
    expect(isExternalLink('https://a.b/')).toBe(true);
    expect(isExternalLink('HTTP://A.B/')).toBe(true);
    expect(isExternalLink('ftp://a.b/')).toBe(false);
    expect(isExternalLink('app://qins/index.html')).toBe(false);
    expect(isExternalLink('data:text/html,hi')).toBe(false);
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
