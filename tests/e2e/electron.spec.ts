// The same UI in the desktop window (Electron). Electron's binary is downloaded lazily on the first
// `npm start`; machines that cannot download it (the CI and development boxes here) skip these,
// and they run on a Mac. Nothing here triggers the download.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { dropPath } from './helpers';

function electronBinary(): string | null {
  const dir = join(process.cwd(), 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const exe = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? exe : null;
}

const exe = electronBinary();

test.describe('desktop window', () => {
  test.skip(exe === null, 'no Electron binary in node_modules/electron/dist (downloaded by the first `npm start`; this machine cannot fetch it)');

  test('first run, a streamed reply, the desktop bridge and a dropped folder path', async () => {
    const home = mkdtempSync(join(tmpdir(), 'qins-electron-'));
    const app = await electron.launch({ executablePath: exe!, args: ['.'], env: { ...process.env, QINS_HOME: home } });
    try {
      const win = await app.firstWindow();
      await expect(win.getByRole('navigation', { name: 'Conversations' })).toBeVisible();
      await expect(win.getByTestId('model-picker')).toContainText('tiny-phi3-chat', { timeout: 120_000 });
      const bridge = await win.evaluate(() => {
        const api = (window as unknown as { qins?: { transport: string; pathForFile?: unknown } }).qins;
        return { transport: api?.transport, pathForFile: typeof api?.pathForFile };
      });
      expect(bridge).toEqual({ transport: 'electron', pathForFile: 'function' });
      await win.getByRole('button', { name: /What does "harbor" mean\?/ }).click();
      const reply = win.getByRole('article', { name: /^assistant/ }).last();
      await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
      await expect(reply.getByTestId('reply-stats')).toContainText('tiny-phi3-chat · qins8');
      await dropPath(win, join(home, 'no-such-checkpoint'));
      await win.getByRole('dialog', { name: 'Convert no-such-checkpoint' }).getByRole('button', { name: 'Convert' }).click();
      await expect(win.getByTestId('drop-error')).toContainText('no such file or folder');
    } finally {
      await app.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('the log file, Help → Open Logs Folder, and the window state kept across starts', async () => {
    const home = mkdtempSync(join(tmpdir(), 'qins-electron-'));
    const launch = () => electron.launch({ executablePath: exe!, args: ['.'], env: { ...process.env, QINS_HOME: home } });
    let app = await launch();
    try {
      const win = await app.firstWindow();
      await expect(win.getByRole('navigation', { name: 'Conversations' })).toBeVisible();
      const logs = await app.evaluate(({ app: a }) => a.getPath('logs'));
      await expect.poll(() => (existsSync(join(logs, 'qins.log')) ? readFileSync(join(logs, 'qins.log'), 'utf8') : '')).toMatch(/\[main\] QINS Chat .* starting/);
      const help = await app.evaluate(({ Menu }) => Menu.getApplicationMenu()?.items.find((i) => i.role === 'help')?.submenu?.items.map((i) => i.label));
      expect(help).toContain('Open Logs Folder');
      await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.setBounds({ x: 120, y: 90, width: 1000, height: 700 }));
    } finally {
      await app.close();
    }
    const state = JSON.parse(readFileSync(join(home, 'window-state.json'), 'utf8')) as { width: number; height: number };
    expect(state).toMatchObject({ width: 1000, height: 700 });
    app = await launch();
    try {
      await app.firstWindow();
      const bounds = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.getBounds());
      expect(bounds).toMatchObject({ width: 1000, height: 700 });
    } finally {
      await app.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
