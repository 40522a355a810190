// A fake `electron` module for unit tests: records what the app asks of Electron so the tests
// can assert security options and wiring without an Electron binary.
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** app.getPath() folders live in a fresh temp dir. */
const fakeHome = mkdtempSync(join(tmpdir(), 'qins-fake-electron-'));

type Listener = (...args: unknown[]) => void;

export { fakeHome };

export class FakeWebContents extends EventEmitter {
  static nextId = 1;
  id = FakeWebContents.nextId++;
  sent: Array<[string, unknown]> = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  destroyed = false;
  setWindowOpenHandler(h: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = h;
  }
  send(channel: string, payload: unknown) {
    this.sent.push([channel, payload]);
  }
  isDestroyed() {
    return this.destroyed;
  }
  /** Emits an event with a preventable event object; returns whether it was prevented. */
  fire(name: string, ...args: unknown[]): boolean {
    let prevented = false;
    this.emit(name, { preventDefault: () => (prevented = true) }, ...args);
    return prevented;
  }
}

export class BrowserWindow extends EventEmitter {
  static instances: BrowserWindow[] = [];
  static getAllWindows() {
    return BrowserWindow.instances;
  }
  webContents = new FakeWebContents();
  loadedUrl: string | undefined;
  constructor(public options: Record<string, unknown>) {
    super();
    BrowserWindow.instances.push(this);
    const o = options as { x?: number; y?: number; width?: number; height?: number };
    this.bounds = { x: o.x ?? 100, y: o.y ?? 100, width: o.width ?? 800, height: o.height ?? 600 };
    app.emit('web-contents-created', {}, this.webContents);
  }
  loadURL(url: string) {
    this.loadedUrl = url;
    return Promise.resolve();
  }
  maximized = false;
  bounds = { x: 0, y: 0, width: 0, height: 0 };
  show() {}
  focus() {}
  restore() {}
  isMinimized() {
    return false;
  }
  isDestroyed() {
    return false;
  }
  maximize() {
    this.maximized = true;
  }
  isMaximized() {
    return this.maximized;
  }
  getNormalBounds() {
    return { ...this.bounds };
  }
}

class FakeApp extends EventEmitter {
  isPackaged = false;
  getVersion() {
    return '0.0.0-test';
  }
  requestSingleInstanceLock() {
    return true;
  }
  getPath(name: string) {
    return join(fakeHome, name);
  }
  whenReady() {
    return Promise.resolve();
  }
  quit() {
    this.emit('quit');
  }
  getAppPath() {
    return process.cwd();
  }
}
export const app = new FakeApp();

class FakeIpcMain {
  handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  handle(channel: string, fn: (event: unknown, ...args: unknown[]) => unknown) {
    this.handlers.set(channel, fn);
  }
}
export const ipcMain = new FakeIpcMain();

export class FakeSession {
  permissionRequestHandler: ((wc: unknown, permission: string, cb: (ok: boolean) => void, details?: unknown) => void) | undefined;
  permissionCheckHandler: ((...a: unknown[]) => boolean) | undefined;
  devicePermissionHandler: ((...a: unknown[]) => boolean) | undefined;
  beforeRequest: ((details: { url: string }, cb: (r: { cancel: boolean }) => void) => void) | undefined;
  setPermissionRequestHandler(h: FakeSession['permissionRequestHandler']) {
    this.permissionRequestHandler = h;
  }
  setPermissionCheckHandler(h: FakeSession['permissionCheckHandler']) {
    this.permissionCheckHandler = h;
  }
  setDevicePermissionHandler(h: FakeSession['devicePermissionHandler']) {
    this.devicePermissionHandler = h;
  }
  webRequest = {
    onBeforeRequest: (h: FakeSession['beforeRequest']) => {
      this.beforeRequest = h;
    },
  };
}
export const session = { defaultSession: new FakeSession() };

export const protocol = {
  privileged: [] as unknown[],
  handlers: new Map<string, (req: Request) => Promise<Response> | Response>(),
  registerSchemesAsPrivileged(schemes: unknown[]) {
    this.privileged.push(...schemes);
  },
  handle(scheme: string, h: (req: Request) => Promise<Response> | Response) {
    this.handlers.set(scheme, h);
  },
};

export const Menu = {
  template: undefined as unknown,
  buildFromTemplate(t: unknown) {
    return t;
  },
  setApplicationMenu(m: unknown) {
    Menu.template = m;
  },
};

export const shell = {
  opened: [] as string[],
  external: [] as string[],
  async openPath(path: string) {
    shell.opened.push(path);
    return '';
  },
  async openExternal(url: string) {
    shell.external.push(url);
  },
};

export const dialog = {
  nextPick: null as string | null,
  openOptions: [] as unknown[],
  messages: [] as Array<{ type?: string; message: string; detail?: string }>,
  async showMessageBox(...args: unknown[]) {
    dialog.messages.push(args[args.length - 1] as { message: string });
    return { response: 0 };
  },
  async showOpenDialog(...args: unknown[]) {
    dialog.openOptions.push(args[args.length - 1]);
    return dialog.nextPick === null ? { canceled: true, filePaths: [] } : { canceled: false, filePaths: [dialog.nextPick] };
  },
};

/** One 1920×1080 display with a 25 px menu bar. */
export const screen = {
  getAllDisplays: () => [{ id: 1, workArea: { x: 0, y: 25, width: 1920, height: 1055 } }],
};

/** utilityProcess.fork: a fake child that reports ready and answers ping/memory. */
class FakeUtilityChild extends EventEmitter {
  pid = 99999;
  stdout = null;
  stderr = new EventEmitter();
  constructor() {
    super();
    setImmediate(() => this.emit('message', { kind: 'ready', pid: this.pid }));
  }
  postMessage(m: { id: number; method: string }) {
    const reply =
      m.method === 'ping'
        ? { kind: 'reply', id: m.id, ok: true, result: { pid: this.pid, uptimeMs: 1 } }
        : { kind: 'reply', id: m.id, ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `fake engine host: ${m.method}` } };
    setImmediate(() => this.emit('message', reply));
  }
  kill() {
    setImmediate(() => this.emit('exit', 0));
    return true;
  }
}
export const utilityProcess = {
  forks: [] as Array<{ entry: string; options: unknown; child: FakeUtilityChild }>,
  fork(entry: string, _args: string[], options: unknown) {
    const child = new FakeUtilityChild();
    utilityProcess.forks.push({ entry, options, child });
    return child;
  },
};

// Preload side.
export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown) {
    contextBridge.exposed.set(key, api);
  },
};
export const ipcRenderer = {
  invoked: [] as Array<[string, unknown]>,
  listeners: new Map<string, Listener>(),
  reply: (message: { id: number }) => ({ id: message.id, ok: true, result: { echoed: message } }) as unknown,
  invoke(channel: string, message: { id: number }) {
    ipcRenderer.invoked.push([channel, message]);
    return Promise.resolve(ipcRenderer.reply(message));
  },
  on(channel: string, l: Listener) {
    ipcRenderer.listeners.set(channel, l);
  },
};

export const webUtils = { getPathForFile: () => '' };

/** A stand-in keychain: "encrypts" by XOR with a fixed key, so a test can see the file is not plain text. */
export const safeStorage = {
  available: true,
  backend: 'gnome_libsecret',
  isEncryptionAvailable() {
    return this.available;
  },
  getSelectedStorageBackend() {
    return this.backend;
  },
  encryptString(s: string) {
    return Buffer.from(Buffer.from(`v10${s}`).map((b) => b ^ 0x5a));
  },
  decryptString(b: Buffer) {
    const t = Buffer.from(b.map((x) => x ^ 0x5a)).toString();
    if (!t.startsWith('v10')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return t.slice(3);
  },
};

export default { app, BrowserWindow, dialog, ipcMain, session, protocol, Menu, screen, shell, utilityProcess, contextBridge, ipcRenderer, webUtils, safeStorage };
