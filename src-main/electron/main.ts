// Electron main process: lifecycle, the window, IPC wiring. All product logic is in ../core.
import { join } from 'node:path';
import { BrowserWindow, app, dialog, ipcMain, screen, session, shell } from 'electron';
import { AppCore } from '../core/app-core.js';
import { engineHostEntry } from '../core/headless.js';
import { initLog, log, logProcessErrors } from '../core/log.js';
import { dataDir, setDataDir } from '../core/paths.js';
import { utilityLauncher } from './engine-launcher.js';
import { wireIpc } from './ipc.js';
import { safeStorageTokenStore } from './hub-token.js';
import { buildMenu } from './menu.js';
import { OpenFileQueue, modelFilesIn } from './open-files.js';
import { startApiHost } from '../web/server.js';
import { registerAppScheme, serveRenderer } from './protocol.js';
import { APP_ORIGIN, hardenSession, hardenWebContents, mainWindowOptions, trustedOrigins } from './security.js';
import { WINDOW_STATE_FILE, fitToDisplays, loadWindowState, trackWindowState } from './window-state.js';

const devServer = process.env.ELECTRON_RENDERER_URL;
const origins = trustedOrigins(devServer);
/** Development build: DevTools and reload in the View menu. */
const dev = !app.isPackaged || devServer !== undefined;

if (!app.requestSingleInstanceLock()) app.quit();
registerAppScheme();
if (!process.env.QINS_HOME) setDataDir(app.getPath('userData'));
initLog(app.getPath('logs'));
logProcessErrors('main');
log.info('main', `QINS Chat ${app.getVersion()} starting (Electron ${process.versions.electron ?? '?'}, ${process.platform} ${process.arch})`);

let core: AppCore | undefined;
let mainWindow: BrowserWindow | undefined;
const windowStateFile = () => join(dataDir(), WINDOW_STATE_FILE);

function createWindow(): BrowserWindow {
  const state = fitToDisplays(loadWindowState(windowStateFile()), screen.getAllDisplays().map((d) => d.workArea));
  const { maximized, ...bounds } = state;
  const win = new BrowserWindow({ ...mainWindowOptions(join(import.meta.dirname, '../preload/bridge.cjs')), ...bounds });
  if (maximized) win.maximize();
  trackWindowState(win, windowStateFile());
  win.once('ready-to-show', () => win.show());
  void win.loadURL(devServer ?? `${APP_ORIGIN}/index.html`);
  return win;
}

function showWindow(): void {
  if (!mainWindow || mainWindow.isDestroyed()) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.focus();
}

/** A model file from the system or the menu: added to the library (progress on the Models page). */
async function addModelFile(path: string): Promise<void> {
  if (!core) return;
  showWindow();
  try {
    await core.library.import(path, 'qins8');
    log.info('main', `adding the model file ${path}`);
  } catch (e) {
    log.warn('main', `cannot add ${path}: ${(e as Error).message}`);
    const options = { type: 'error' as const, message: 'This model file cannot be added', detail: (e as Error).message };
    void (mainWindow ? dialog.showMessageBox(mainWindow, options) : dialog.showMessageBox(options));
  }
}

async function pickModelFile(): Promise<string | null> {
  const options = {
    title: 'Choose a model file',
    properties: ['openFile' as const],
    filters: [
      { name: 'QINS models', extensions: ['qins', 'qinz'] },
      { name: 'All files', extensions: ['*'] },
    ],
  };
  const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return r.canceled ? null : (r.filePaths[0] ?? null);
}

const openFiles = new OpenFileQueue();
// macOS: a double-clicked .qins/.qinz (also before ready); Windows and Linux: the command line.
app.on('open-file', (event, path) => {
  event.preventDefault();
  openFiles.push(path);
});
for (const f of modelFilesIn(process.argv.slice(1))) openFiles.push(f);

app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, origins, (url) => shell.openExternal(url)));
app.on('second-instance', (_event, argv, workingDirectory) => {
  showWindow();
  for (const f of modelFilesIn(argv.slice(1), workingDirectory)) openFiles.push(f);
});

void app.whenReady().then(async () => {
  hardenSession(session.defaultSession);
  serveRenderer();
  core = new AppCore({
    mode: 'electron',
    launcher: utilityLauncher(engineHostEntry()),
    electron: { electron: process.versions.electron ?? '', chrome: process.versions.chrome ?? '' },
    startApi: (c, listen) => startApiHost(c, listen),
    pickFolder: async () => {
      const options = { title: 'Choose a HuggingFace checkpoint folder', properties: ['openDirectory' as const] };
      const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    pickFile: pickModelFile,
    hubTokenStore: safeStorageTokenStore(join(dataDir(), 'hf-token.enc')),
  });
  wireIpc(ipcMain, core, origins);
  buildMenu(
    {
      openDataFolder: () => void shell.openPath(app.getPath('userData')),
      openLogsFolder: () => void shell.openPath(app.getPath('logs')),
      addModel: () =>
        void pickModelFile().then((p) => {
          if (p) return addModelFile(p);
        }),
    },
    { dev },
  );
  mainWindow = createWindow();
  await core.start();
  openFiles.ready((p) => void addModelFile(p));
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
  log.info('main', 'quitting');
  void core.stop().finally(() => app.quit());
});
