// The web host: serves the built renderer and the contract over a WebSocket on 127.0.0.1, so the
// same UI runs in a browser (`qins serve`). Every request needs the token (URL, cookie or Bearer
// header), a loopback Host header, and — for sockets — our own Origin.
import { createReadStream } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { EventChannel } from '../../src-shared/contract.js';
import type { AppCore } from '../core/app-core.js';
import { rendererDir } from '../core/paths.js';
import { apiRoutes } from './openai.js';
import { findStatic, mimeType } from './static.js';
import { SECURITY_HEADERS, TOKEN_COOKIE, hostAllowed, newToken, originAllowed, tokenFrom } from './security.js';

export const DEFAULT_PORT = 7860;
/** Largest WebSocket message or HTTP body we accept. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface WebHostOptions {
  core: AppCore;
  /** Folder of the built renderer (index.html + assets). */
  rendererDir: string;
  port?: number;
  /** The token requests must carry (the stored API token); random when not given (tests). */
  token?: string;
  /** Extra HTTP routes (e.g. the OpenAI-compatible API); return true when handled. */
  routes?: Array<(req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>>;
}

export interface WebHost {
  readonly port: number;
  readonly token: string;
  /** The URL to open, token included. */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(`${text}\n`);
}

async function serveStatic(root: string, url: URL, res: ServerResponse, setCookie: string | undefined): Promise<void> {
  const found = await findStatic(root, url.pathname);
  if (found.kind === 'bad-path') return sendText(res, 400, 'bad path');
  if (found.kind === 'not-found') return sendText(res, 404, 'not found');
  const file = found.path;
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'Content-Type': mimeType(file),
    'Content-Length': String(found.size),
    'Cache-Control': file.endsWith('.html') ? 'no-store' : 'private, max-age=3600',
  };
  if (setCookie) headers['Set-Cookie'] = setCookie;
  res.writeHead(200, headers);
  createReadStream(file).pipe(res);
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? newToken();
  const { core } = options;
  let port = options.port ?? DEFAULT_PORT;

  const server = createServer((req, res) => {
    void (async () => {
      if (!hostAllowed(req, port)) return sendText(res, 403, 'forbidden host');
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      if (!originAllowed(req.headers.origin, port)) return sendText(res, 403, 'forbidden origin');
      const source = tokenFrom(req, url, token);
      if (source === null) return sendText(res, 401, 'missing or wrong token', { 'WWW-Authenticate': 'Bearer' });
      for (const route of options.routes ?? []) if (await route(req, res, url)) return;
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
      const cookie = source === 'query' ? `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` : undefined;
      await serveStatic(options.rendererDir, url, res, cookie);
    })().catch((e: unknown) => {
      if (!res.headersSent) sendText(res, 500, `internal error: ${e instanceof Error ? e.message : String(e)}`);
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_BODY_BYTES,
  });

  server.on('upgrade', (req, socket, head) => {
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!hostAllowed(req, port)) return reject(403, 'Forbidden');
    if (!originAllowed(req.headers.origin, port)) return reject(403, 'Forbidden');
    if (url.pathname !== '/ws') return reject(404, 'Not Found');
    if (tokenFrom(req, url, token) === null) return reject(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const client = core.connect((event: EventChannel, payload: unknown) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ event, payload }));
    });
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let message: unknown;
        try {
          message = isBinary ? undefined : JSON.parse(data.toString());
        } catch {
          message = undefined;
        }
        const reply = await core.router.handle(message, client);
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(reply));
      })();
    });
    ws.on('close', () => client.close());
    ws.on('error', () => client.close());
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    server,
    close: () =>
      new Promise<void>((done) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}


/**
 * The desktop app's local API (Settings → API): a web host serving the built renderer and `/v1/*`
 * for `core` on `port` with `token`. Rejects with the listen error (EADDRINUSE when the port is
 * taken: the core then asks for a free one).
 */
export function startApiHost(core: AppCore, listen: { port: number; token: string }): Promise<WebHost> {
  return startWebHost({ core, rendererDir: rendererDir(), port: listen.port, token: listen.token, routes: apiRoutes(core) });
}
