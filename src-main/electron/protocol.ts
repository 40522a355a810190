// Serves the built renderer on app://qins/ with the security headers, from out/renderer only
// (the same lookup, MIME types and CSP as the web host: web/static.ts).
import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { rendererDir } from '../core/paths.js';
import { CONTENT_SECURITY_POLICY, findStatic, mimeType } from '../web/static.js';
import { APP_SCHEME } from './security.js';

/** Must run before app 'ready'. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

export function serveRenderer(): void {
  const root = rendererDir();
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const found = await findStatic(root, url.pathname);
    if (found.kind === 'bad-path') return new Response('bad path', { status: 400 });
    if (found.kind === 'not-found') return new Response('not found', { status: 404 });
    return new Response(await readFile(found.path), {
      headers: { 'Content-Type': mimeType(found.path), 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' },
    });
  });
}
