// Serving the built renderer, shared by the two ways the UI is delivered: the desktop app's
// app://qins/ protocol handler (electron/protocol.ts) and the web host (web/server.ts). One place
// for the Content-Security-Policy, the MIME table and the path check that keeps every file inside
// the renderer folder.
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

/** Content-Security-Policy of the served UI: our own scripts, styles and socket only. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Content-Type of a served file, by extension. */
export const mimeType = (file: string): string => MIME[extname(file)] ?? 'application/octet-stream';

/** Resolves a URL path inside `root`; null when it would escape it. */
export function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const base = resolve(root);
  const full = resolve(base, `.${decoded.startsWith('/') ? decoded : `/${decoded}`}`);
  return full === base || full.startsWith(base + sep) ? full : null;
}

export type StaticLookup = { kind: 'file'; path: string; size: number } | { kind: 'bad-path' } | { kind: 'not-found' };

/**
 * The file a URL path names in the renderer folder `root`: a folder serves its index.html,
 * client-side routes (no extension) fall back to the app's index.html, missing assets are not found.
 */
export async function findStatic(root: string, pathname: string): Promise<StaticLookup> {
  let file = resolveInside(root, pathname);
  if (file === null) return { kind: 'bad-path' };
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!info && !extname(pathname)) {
    file = join(root, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!info?.isFile()) return { kind: 'not-found' };
  return { kind: 'file', path: file, size: info.size };
}
