// Request guards of the web host: token, Host header (DNS rebinding) and Origin checks, and the
// security headers of every response. Pure functions, tested on their own.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CONTENT_SECURITY_POLICY } from './static.js';

export const TOKEN_COOKIE = 'qins_token';

export const newToken = (): string => randomBytes(24).toString('base64url');

/** Host headers we answer: only loopback names with our port. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host?.toLowerCase();
  return host !== undefined && allowedHosts(port).has(host);
}

/** Browsers send Origin on WebSocket upgrades and cross-origin requests; only our own is accepted. */
export function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true; // non-browser clients (they still need the token)
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && allowedHosts(port).has(u.host.toLowerCase());
  } catch {
    return false;
  }
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export type TokenSource = 'query' | 'header' | 'cookie';

/** Where a valid token came from, or null when the request carries none or a wrong one. */
export function tokenFrom(req: IncomingMessage, url: URL, token: string): TokenSource | null {
  const q = url.searchParams.get('token');
  if (q !== null && safeEqual(q, token)) return 'query';
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && safeEqual(auth.slice(7).trim(), token)) return 'header';
  const c = cookieValue(req, TOKEN_COOKIE);
  if (c !== undefined && safeEqual(c, token)) return 'cookie';
  return null;
}

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
