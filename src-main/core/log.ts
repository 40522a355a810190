// The app's log: main-process events and errors, the engine host's stderr and errors the UI reports,
// in one size-rotated file (winston writing to a rotating-file-stream: qins.log, and the older
// qins.log.1 … qins.log.N; a file is rotated at the first write past LOG_MAX_BYTES). The desktop app writes it to Electron's logs folder, `qins serve` to `logs/` in
// the data folder. Nothing is written until a host calls initLog (tests and one-shot CLI commands
// stay silent). Tokens never reach the file: `token=…`, `Bearer …` and every registered secret are
// replaced by [redacted].
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import winston from 'winston';
import { dataDir } from './paths.js';

export const LOG_FILE = 'qins.log';
export const LOG_MAX_BYTES = 5 * 1024 * 1024;
/** Older files kept besides qins.log. */
export const LOG_FILES = 3;

export type LogScope = 'main' | 'engine-host' | 'renderer' | 'api' | 'core';

let logger: winston.Logger | undefined;
let stream: RotatingFileStream | undefined;
let dir: string | undefined;
const secrets = new Set<string>();

/** The logs folder of a headless run: `logs/` in the data folder. */
export const headlessLogDir = (env = process.env): string => join(dataDir(env), 'logs');

/** Where the log is written, or null when logging is off. */
export function logFile(): string | null {
  return logger && dir ? join(dir, LOG_FILE) : null;
}

export function logDir(): string | null {
  return logger ? (dir ?? null) : null;
}

/** A string the log must never contain (the API token); replaced by [redacted] wherever it appears. */
export function addLogSecret(secret: string): void {
  if (secret.length >= 8) secrets.add(secret);
}

export function redact(text: string): string {
  let t = text.replace(/([?&]token=)[^&\s"'<>]+/gi, '$1[redacted]').replace(/(Bearer\s+)[^\s"'<>]+/gi, '$1[redacted]');
  for (const s of secrets) t = t.split(s).join('[redacted]');
  return t;
}

const line = winston.format.printf((info) => `${String(info.timestamp)} ${info.level.toUpperCase().padEnd(5)} [${String(info.scope ?? 'main')}] ${redact(String(info.message))}`);

/** Starts writing the log to `folder` (created if needed); a second call moves it. */
export function initLog(folder: string, options: { maxBytes?: number; maxFiles?: number } = {}): string {
  void closeLog();
  mkdirSync(folder, { recursive: true });
  dir = folder;
  // Classical rotation: the generator is called with the index of the older file (0: the current one).
  stream = createStream((n: number | Date | null) => (typeof n === 'number' && n > 0 ? `${LOG_FILE}.${n}` : LOG_FILE), {
    path: folder,
    size: `${Math.max(1, Math.ceil((options.maxBytes ?? LOG_MAX_BYTES) / 1024))}K`,
    rotate: options.maxFiles ?? LOG_FILES,
  });
  stream.on('error', () => undefined); // a full or read-only disk must not take the app down
  logger = winston.createLogger({
    level: 'info',
    format: winston.format.combine(winston.format.timestamp(), line),
    transports: [new winston.transports.Stream({ stream })],
  });
  return join(folder, LOG_FILE);
}

/** Flushes and closes the log (quit, tests). */
export function closeLog(): Promise<void> {
  const l = logger;
  const s = stream;
  logger = undefined;
  stream = undefined;
  if (!l || !s) return Promise.resolve();
  return new Promise((done) => {
    s.once('finish', () => done());
    l.once('finish', () => s.end());
    l.end();
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

export const log = {
  info(scope: LogScope, message: string): void {
    logger?.info(message, { scope });
  },
  warn(scope: LogScope, message: string): void {
    logger?.warn(message, { scope });
  },
  error(scope: LogScope, message: string, error?: unknown): void {
    logger?.error(error === undefined ? message : `${message}: ${describe(error)}`, { scope });
  },
};

/** Splits a child's stderr into lines for the log (a partial last line waits for the rest). */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let rest = '';
  return (chunk) => {
    rest += chunk.toString();
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) onLine(l.replace(/\r$/, ''));
    if (rest.length > 16_384) {
      onLine(rest);
      rest = '';
    }
  };
}

/** Logs uncaught exceptions and unhandled rejections of this process. */
export function logProcessErrors(scope: LogScope = 'main'): void {
  process.on('uncaughtExceptionMonitor', (e) => log.error(scope, 'uncaught exception', e));
  process.on('unhandledRejection', (e) => log.error(scope, 'unhandled promise rejection', e));
}
