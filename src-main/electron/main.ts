// Electron main process: lifecycle, the window, IPC wiring. All product logic is in ../core.
import { join } from 'node:path';
import { BrowserWindow, app, dialog, ipcMain, session, shell } from 'electron';
import { AppCore } from '../core/app-core.js';
import { engineHostEntry } from '../core/headless.js';
import { dataDir, setDataDir } from '../core/paths.js';
import { utilityLauncher } from './engine-launcher.js';
import { wireIpc } from './ipc.js';
import { safeStorageTokenStore } from './hub-token.js';
import { buildMenu } from './menu.js';
import { startApiHost } from '../web/server.js';
import { registerAppScheme, serveRenderer } from './protocol.js';
import { APP_ORIGIN, hardenSession, hardenWebContents, mainWindowOptions, trustedOrigins } from './security.js';

const devServer = process.env.ELECTRON_RENDERER_URL;
const origins = trustedOrigins(devServer);

if (!app.requestSingleInstanceLock()) app.quit();
registerAppScheme();
if (!process.env.QINS_HOME) setDataDir(app.getPath('userData'));

let core: AppCore | undefined;
let mainWindow: BrowserWindow | undefined;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(mainWindowOptions(join(import.meta.dirname, '../preload/bridge.cjs')));
  win.once('ready-to-show', () => win.show());
  void win.loadURL(devServer ?? `${APP_ORIGIN}/index.html`);
  return win;
}

app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, origins));
app.on('second-instance', () => {
  if (mainWindow?.isMinimized()) mainWindow.restore();
  mainWindow?.focus();
});

void app.whenReady().then(async () => {
  hardenSession(session.defaultSession);
  serveRenderer();
  core = new AppCore({
    mode: 'electron',
    launcher: utilityLauncher(engineHostEntry()),
    electron: { electron: process.versions.electron ?? '', chrome: process.versions.chrome ?? '' },
    startApi: (c) => startApiHost(c),
    pickFolder: async () => {
      const options = { title: 'Choose a HuggingFace checkpoint folder', properties: ['openDirectory' as const] };
      const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    hubTokenStore: safeStorageTokenStore(join(dataDir(), 'hf-token.enc')),
  });
  wireIpc(ipcMain, core, origins);
  buildMenu({ openDataFolder: () => void shell.openPath(app.getPath('userData')) });
  mainWindow = createWindow();
  await core.start();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let quitting = false;
app.on('before-quit', (event) => {
  if (quitting || !core) return;
  event.preventDefault();
  quitting = true;
  void core.stop().finally(() => app.quit());
});
