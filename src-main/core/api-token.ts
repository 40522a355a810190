// The local API's token: one per data folder, kept in `<data>/api-token` (owner-only), shared by the
// desktop app and `qins serve`, the same on every start until the user regenerates it (Settings →
// Local API → Regenerate token, or `qins serve --new-token`). Never logged.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addLogSecret } from './log.js';
import { dataDir } from './paths.js';

export const API_TOKEN_FILE = 'api-token';

/** What a token looks like (base64url, as newApiToken makes them); anything else is replaced. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32,256}$/;

export const apiTokenPath = (env = process.env): string => join(dataDir(env), API_TOKEN_FILE);

export const newApiToken = (): string => randomBytes(24).toString('base64url');

function writeToken(file: string, token: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, `${token}\n`, { mode: 0o600, flag: 'w' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The stored token; a missing, empty or malformed file gets a new one (written atomically, mode 600). */
export function loadApiToken(env = process.env): string {
  const file = apiTokenPath(env);
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (TOKEN_SHAPE.test(stored)) {
      addLogSecret(stored);
      return stored;
    }
  } catch {
    // no token yet
  }
  return regenerateApiToken(env);
}

/** Replaces the stored token with a new one and returns it. */
export function regenerateApiToken(env = process.env): string {
  mkdirSync(dataDir(env), { recursive: true });
  const token = newApiToken();
  writeToken(apiTokenPath(env), token);
  addLogSecret(token);
  return token;
}
