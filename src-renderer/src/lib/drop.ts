// What a drop on the window points at: a file-system path when one can be known.
import type { QinsApi } from '../../../src-shared/contract';

export type DropTarget = { kind: 'path'; path: string } | { kind: 'no-path'; name: string } | { kind: 'none' };

/** file:///a/b → /a/b (Windows: file:///C:/x → C:/x). */
export function pathFromUri(uri: string): string | null {
  try {
    const u = new URL(uri.trim());
    if (u.protocol !== 'file:') return null;
    const p = decodeURIComponent(u.pathname);
    return /^\/[A-Za-z]:\//.test(p) ? p.slice(1) : p;
  } catch {
    return null;
  }
}

/** Whether a drag carries something we can take (files, or text that could be a path). */
export function acceptsDrag(types: readonly string[]): boolean {
  return types.includes('Files') || types.includes('text/uri-list') || types.includes('text/plain');
}

/**
 * Electron gives the path of a dropped file or folder (webUtils.getPathForFile); browsers do not,
 * so there a dragged path string or file:// URL is the way.
 */
export function dropTarget(dt: DataTransfer, api: Pick<QinsApi, 'pathForFile'>): DropTarget {
  const file = dt.files?.[0];
  if (file && api.pathForFile) {
    const p = api.pathForFile(file);
    if (p) return { kind: 'path', path: p };
  }
  const uri = dt.getData('text/uri-list');
  const fromUri = uri ? pathFromUri(uri.split(/\r?\n/).find((l) => l && !l.startsWith('#')) ?? '') : null;
  if (fromUri) return { kind: 'path', path: fromUri };
  const text = dt.getData('text/plain').trim();
  if (text && !text.includes('\n')) {
    const p = text.startsWith('file:') ? pathFromUri(text) : text;
    if (p && (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('~') || p.startsWith('.'))) return { kind: 'path', path: p };
  }
  if (file) return { kind: 'no-path', name: file.name };
  return { kind: 'none' };
}
