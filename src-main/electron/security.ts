// Security settings of every window and web contents (Electron's security checklist): isolated,
// sandboxed renderers without Node; no new windows (http(s) links open in the system browser); no
// navigation away from the app; every permission request denied; IPC accepted only from our own pages.
import type { BrowserWindowConstructorOptions, Session, WebContents, WebFrameMain } from 'electron';

/** The scheme the packaged renderer is served from (see protocol.ts). */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://qins`;

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 760,
    minHeight: 520,
    show: false,
    title: 'QINS Chat',
    backgroundColor: '#0b0d12',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: true,
    },
  };
}

/** Origins our own pages are loaded from: the app scheme, plus the dev server during development. */
export function trustedOrigins(devServerUrl: string | undefined): string[] {
  const origins = [APP_ORIGIN];
  if (devServerUrl) origins.push(new URL(devServerUrl).origin);
  return origins;
}

export function isTrustedUrl(url: string | undefined, origins: string[]): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    const origin = u.protocol === `${APP_SCHEME}:` ? `${u.protocol}//${u.host}` : u.origin;
    return origins.includes(origin);
  } catch {
    return false;
  }
}

/** IPC sender check: the message must come from the main frame of one of our pages. */
export function isTrustedSender(frame: WebFrameMain | null | undefined, origins: string[]): boolean {
  if (!frame) return false;
  if (frame.parent !== null) return false;
  return isTrustedUrl(frame.url, origins);
}

/** Links the system browser may open: absolute http(s) URLs only (no file:, javascript:, custom schemes). */
export function isExternalLink(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** Opens a link in the system browser (shell.openExternal in the app). */
export type OpenExternal = (url: string) => Promise<void>;

export function hardenWebContents(contents: WebContents, origins: string[], openExternal?: OpenExternal): void {
  const openLink = (url: string) => {
    if (openExternal && isExternalLink(url)) void openExternal(url).catch(() => undefined);
  };
  // A link with target=_blank (every link in a reply) asks for a new window: never one of ours;
  // http(s) goes to the system browser, anything else is dropped.
  contents.setWindowOpenHandler(({ url }) => {
    openLink(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (isTrustedUrl(url, origins)) return;
    event.preventDefault();
    openLink(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isTrustedUrl(url, origins)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  // Nothing is fetched from the network: only our scheme, the dev server (dev only) and data URLs.
  session.webRequest.onBeforeRequest((details, callback) => {
    const u = details.url;
    const allowed = u.startsWith(`${APP_SCHEME}:`) || u.startsWith('data:') || u.startsWith('blob:') || u.startsWith('devtools:') || (process.env.ELECTRON_RENDERER_URL !== undefined && u.startsWith(process.env.ELECTRON_RENDERER_URL));
    callback({ cancel: !allowed });
  });
}
