// The main window's size, position and maximized state, kept in `window-state.json` in the data
// folder: read at start (and moved onto a screen when the display it was on is gone), written when
// the window moves, resizes, (un)maximizes or closes.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { BrowserWindow, Rectangle } from 'electron';
import { z } from 'zod';

export const WINDOW_STATE_FILE = 'window-state.json';
export const DEFAULT_SIZE = { width: 1280, height: 820 } as const;
export const MIN_SIZE = { width: 760, height: 520 } as const;

export const WindowState = z
  .object({
    x: z.number().int().optional(),
    y: z.number().int().optional(),
    width: z.number().int().min(MIN_SIZE.width).max(100_000),
    height: z.number().int().min(MIN_SIZE.height).max(100_000),
    maximized: z.boolean(),
  })
  .strict();
export type WindowState = z.infer<typeof WindowState>;

export const defaultWindowState = (): WindowState => ({ ...DEFAULT_SIZE, maximized: false });

/** The stored state, or the default when the file is missing or unreadable. */
export function loadWindowState(file: string): WindowState {
  try {
    const parsed = WindowState.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // first start, or a damaged file: the default size
  }
  return defaultWindowState();
}

export function saveWindowState(file: string, state: WindowState): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(WindowState.parse(state)));
  renameSync(tmp, file);
}

function overlap(a: Rectangle, b: Rectangle): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Keeps the window reachable: at most the size of the largest work area, and placed where it was
 * only if a good part of its title bar area is on a display (else centred: x and y dropped).
 */
export function fitToDisplays(state: WindowState, workAreas: readonly Rectangle[]): WindowState {
  if (workAreas.length === 0) return state;
  const maxW = Math.max(...workAreas.map((a) => a.width));
  const maxH = Math.max(...workAreas.map((a) => a.height));
  const width = Math.max(MIN_SIZE.width, Math.min(state.width, maxW));
  const height = Math.max(MIN_SIZE.height, Math.min(state.height, maxH));
  const fitted: WindowState = { width, height, maximized: state.maximized };
  if (state.x === undefined || state.y === undefined) return fitted;
  const titleBar = { x: state.x, y: state.y, width, height: Math.min(height, 48) };
  const visible = Math.max(...workAreas.map((a) => overlap(titleBar, a)));
  return visible >= (titleBar.width * titleBar.height) / 3 ? { ...fitted, x: state.x, y: state.y } : fitted;
}

/** Writes the window's state on every move, resize, (un)maximize (debounced) and on close. */
export function trackWindowState(win: BrowserWindow, file: string, debounceMs = 400): void {
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    clearTimeout(timer);
    timer = undefined;
    if (win.isDestroyed()) return;
    const b = win.getNormalBounds();
    try {
      saveWindowState(file, { x: b.x, y: b.y, width: Math.max(MIN_SIZE.width, b.width), height: Math.max(MIN_SIZE.height, b.height), maximized: win.isMaximized() });
    } catch {
      // a read-only data folder: the window still works, its state is just not kept
    }
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(save, debounceMs);
  };
  for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(event as 'resize', later);
  win.on('close', save);
}
