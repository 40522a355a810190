// The application menu: the platform's standard roles plus a few app actions. DevTools and reload
// are in the View menu only during development (an unpackaged app), never in a release build.
import { Menu, type MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openDataFolder(): void;
  openLogsFolder(): void;
  /** Shows the model file picker (File → Add Model…). */
  addModel(): void;
}

export function viewMenu(dev: boolean): MenuItemConstructorOptions {
  const devItems: MenuItemConstructorOptions[] = dev ? [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] : [];
  return {
    label: 'View',
    submenu: [...devItems, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }],
  };
}

export function menuTemplate(actions: MenuActions, options: { dev: boolean; platform?: NodeJS.Platform }): MenuItemConstructorOptions[] {
  const isMac = (options.platform ?? process.platform) === 'darwin';
  return [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Add Model…', accelerator: 'CmdOrCtrl+O', click: () => actions.addModel() },
        { label: 'Open Data Folder', click: () => actions.openDataFolder() },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    viewMenu(options.dev),
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'Open Logs Folder', click: () => actions.openLogsFolder() }] },
  ];
}

export function buildMenu(actions: MenuActions, options: { dev: boolean }): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(actions, options)));
}
