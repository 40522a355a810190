// Where the app keeps its data and where its bundled resources are.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { appRoot } from '../engine/app-root.js';

export { appRoot };

let dataDirOverride: string | undefined;

/** Under Electron, the main process sets this to app.getPath('userData'). */
export function setDataDir(dir: string): void {
  dataDirOverride = dir;
}

/** Platform app-data folder for "QINS Chat" (what Electron's userData would be). */
export function platformDataDir(platform: NodeJS.Platform = process.platform, env = process.env): string {
  const home = homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'QINS Chat');
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'QINS Chat');
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'QINS Chat');
}

/** The data directory: $QINS_HOME if set, else Electron's userData, else the platform folder. */
export function dataDir(env = process.env): string {
  if (env.QINS_HOME) return env.QINS_HOME;
  return dataDirOverride ?? platformDataDir();
}

export const dbPath = (env = process.env): string => join(dataDir(env), 'qins.db');
export const modelsDir = (env = process.env): string => join(dataDir(env), 'models');

/** Bundled resources (the embedded default model, the eval text, icons). */
export function assetsDir(): string {
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  if (packaged && existsSync(join(packaged, 'assets'))) return join(packaged, 'assets');
  return join(appRoot(), 'assets');
}

export const rendererDir = (): string => join(appRoot(), 'out', 'renderer');
