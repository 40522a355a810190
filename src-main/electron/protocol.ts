// Serves the built renderer on app://qins/ with the security headers, from out/renderer only.
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { protocol } from 'electron';
import { rendererDir } from '../core/paths.js';
import { resolveInside } from '../web/server.js';
import { APP_SCHEME, CONTENT_SECURITY_POLICY } from './security.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Must run before app 'ready'. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

export function serveRenderer(): void {
  const root = rendererDir();
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const path = url.pathname === '/' ? '/index.html' : url.pathname;
    const file = resolveInside(root, path);
    if (!file) return new Response('bad path', { status: 400 });
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' },
      });
    } catch {
      // client-side routes fall back to the app shell
      if (!extname(path)) return new Response(await readFile(join(root, 'index.html')), { headers: { 'Content-Type': MIME['.html']!, 'Content-Security-Policy': CONTENT_SECURITY_POLICY } });
      return new Response('not found', { status: 404 });
    }
  });
}
