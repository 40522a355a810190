// Window state: stored and read back, damaged files ignored, windows kept on a screen; model files
// from the system picked out of a command line and queued until the app is ready.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OpenFileQueue, isModelFile, modelFilesIn } from '../../../src-main/electron/open-files.js';
import { defaultWindowState, fitToDisplays, loadWindowState, saveWindowState } from '../../../src-main/electron/window-state.js';

const dir = mkdtempSync(join(tmpdir(), 'qins-window-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const laptop = [{ x: 0, y: 25, width: 1440, height: 875 }];
const twoScreens = [...laptop, { x: 1440, y: 0, width: 2560, height: 1440 }];

describe('window state', () => {
  it('round-trips through its file; a missing, damaged or invalid file gives the default', () => {
    const file = join(dir, 'window-state.json');
    expect(loadWindowState(file)).toEqual(defaultWindowState());
    saveWindowState(file, { x: 10, y: 40, width: 900, height: 600, maximized: true });
    expect(loadWindowState(file)).toEqual({ x: 10, y: 40, width: 900, height: 600, maximized: true });
    writeFileSync(file, '{"x": 1, "y": 2, "width": 12');
    expect(loadWindowState(file)).toEqual(defaultWindowState());
    writeFileSync(file, JSON.stringify({ width: 100, height: 600, maximized: false }));
    expect(loadWindowState(file)).toEqual(defaultWindowState());
    expect(() => saveWindowState(file, { width: 10, height: 10, maximized: false })).toThrow();
  });

  it('keeps the window where it was when that is on a screen', () => {
    expect(fitToDisplays({ x: 1600, y: 100, width: 1200, height: 900, maximized: false }, twoScreens)).toEqual({ x: 1600, y: 100, width: 1200, height: 900, maximized: false });
  });

  it('centres a window whose screen is gone and shrinks it to the largest screen', () => {
    expect(fitToDisplays({ x: 1600, y: 100, width: 2400, height: 1300, maximized: true }, laptop)).toEqual({ width: 1440, height: 875, maximized: true });
    // only a sliver of the title bar would show
    expect(fitToDisplays({ x: 1400, y: 100, width: 900, height: 600, maximized: false }, laptop)).toEqual({ width: 900, height: 600, maximized: false });
    expect(fitToDisplays({ width: 900, height: 600, maximized: false }, laptop)).toEqual({ width: 900, height: 600, maximized: false });
  });
});

describe('model files from the system', () => {
  it('recognises .qins and .qinz in any case, and nothing else', () => {
    expect(isModelFile('/a/b.qins')).toBe(true);
    expect(isModelFile('C:\\m\\B.QINZ')).toBe(true);
    for (const p of ['/a/b.gguf', '/a/qins', '/a/b.qins.txt', '']) expect(isModelFile(p)).toBe(false);
  });

  it('picks them out of a command line, absolute against the working folder', () => {
    expect(modelFilesIn(['--inspect', 'a.qins', '/abs/b.QINZ', 'readme.md', '--x=y.qins'], '/work')).toEqual(['/work/a.qins', '/abs/b.QINZ']);
  });

  it('queues files until the app is ready, then opens them in order, and later ones at once', () => {
    const q = new OpenFileQueue();
    const opened: string[] = [];
    q.push('/1.qins');
    q.push('/2.qinz');
    expect(opened).toEqual([]);
    q.ready((p) => opened.push(p));
    expect(opened).toEqual(['/1.qins', '/2.qinz']);
    q.push('/3.qins');
    expect(opened).toEqual(['/1.qins', '/2.qinz', '/3.qins']);
  });
});
