// One file from the hub into the cache, resumable and verified: bytes go to blobs/<oid>.incomplete,
// a new attempt asks for the rest with an HTTP Range; dropped connections and 5xx answers are retried
// with backoff, 429 waits for Retry-After; the size is checked, and the content against the hub's
// LFS sha256 (or the git blob sha1 of a small file). A mismatch deletes the file. Only a verified
// file is renamed to its blob name. A full disk stops with NO_SPACE and keeps what was written.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, truncate, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { QinsError } from '../../../src-shared/contract.js';
import { type HubTarget, httpError, isAbort, networkError } from './errors.js';

export interface RemoteFile {
  path: string;
  size: number;
  /** LFS sha256, or the git blob sha1 of a file kept in git. */
  oid: string;
  lfs: boolean;
}

export interface RetryPolicy {
  /** Failed attempts in a row (no byte received) before giving up. */
  attempts: number;
  /** First backoff; doubles each failure, up to maxMs. */
  baseMs: number;
  maxMs: number;
  /** Longest Retry-After honoured on 429; longer waits give up with the hub's message. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 1000, maxMs: 30_000, maxRetryAfterMs: 120_000 };

/** Where the bytes go (a file opened for appending; tests replace it to fill the disk). */
export interface Sink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export type OpenSink = (path: string) => Promise<Sink>;

const openAppend: OpenSink = async (path) => {
  const fh = await open(path, 'a');
  return {
    write: async (chunk) => {
      await fh.write(chunk);
    },
    close: () => fh.close(),
  };
};

export interface TransferOptions {
  /** The file's `resolve` URL (at a commit). */
  url: string;
  token: string | null;
  file: RemoteFile;
  /** Destination blob path in the cache. */
  blob: string;
  target: HubTarget;
  signal: AbortSignal;
  /** Bytes of this file on disk so far (called as they arrive). */
  onProgress?: (bytes: number) => void;
  retry?: RetryPolicy;
  fetch?: typeof fetch;
  openSink?: OpenSink;
}

const sizeOf = async (p: string): Promise<number | null> => (await stat(p).catch(() => null))?.size ?? null;

function hasher(file: RemoteFile): Hash {
  if (file.lfs) return createHash('sha256');
  const h = createHash('sha1');
  h.update(`blob ${file.size}\0`);
  return h;
}

async function hashFile(path: string, h: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new QinsError('CANCELLED', 'cancelled'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new QinsError('CANCELLED', 'cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After in ms (seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

const diskFull = (e: unknown): boolean => ['ENOSPC', 'EDQUOT', 'EFBIG'].includes((e as NodeJS.ErrnoException)?.code ?? '');

async function drain(res: Response): Promise<string> {
  try {
    return (await res.text()).slice(0, 500);
  } catch {
    return '';
  }
}

/**
 * Downloads one file into `blob` (skipped when the blob is already there with the right size).
 * Returns the bytes received over the network.
 */
export async function downloadBlob(o: TransferOptions): Promise<number> {
  const { file, signal } = o;
  const retry = o.retry ?? DEFAULT_RETRY;
  const doFetch = o.fetch ?? fetch;
  if ((await sizeOf(o.blob)) === file.size) {
    o.onProgress?.(file.size);
    return 0;
  }
  const part = `${o.blob}.incomplete`;
  await mkdir(dirname(part), { recursive: true });
  let offset = (await sizeOf(part)) ?? 0;
  if (offset > file.size) {
    await truncate(part, 0);
    offset = 0;
  }
  let hash = hasher(file);
  if (offset > 0) await hashFile(part, hash);
  else await (await (o.openSink ?? openAppend)(part)).close(); // an empty file is a file too
  o.onProgress?.(offset);
  const restart = async (): Promise<void> => {
    await truncate(part, 0);
    offset = 0;
    hash = hasher(file);
    o.onProgress?.(0);
  };
  let received = 0;
  let failures = 0;
  const fail = async (e: unknown): Promise<void> => {
    failures++;
    if (failures >= retry.attempts) throw e instanceof QinsError ? e : networkError(e, o.target);
    await sleep(Math.min(retry.maxMs, retry.baseMs * 2 ** (failures - 1)), signal);
  };

  while (offset < file.size) {
    if (signal.aborted) throw new QinsError('CANCELLED', 'cancelled');
    let res: Response;
    try {
      const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
      if (offset > 0) headers.Range = `bytes=${offset}-`;
      if (o.token) headers.Authorization = `Bearer ${o.token}`;
      res = await doFetch(o.url, { headers, signal, redirect: 'follow' });
    } catch (e) {
      if (isAbort(e) || signal.aborted) throw new QinsError('CANCELLED', 'cancelled');
      await fail(e);
      continue;
    }
    if (res.status === 416) {
      await drain(res);
      await restart();
      await fail(httpError(416, { ...o.target, file: file.path }, 'the hub refused the byte range'));
      continue;
    }
    if (res.status === 429) {
      const detail = await drain(res);
      const wait = retryAfterMs(res.headers.get('retry-after')) ?? Math.min(retry.maxMs, retry.baseMs * 2 ** failures);
      if (wait > retry.maxRetryAfterMs) throw httpError(429, { ...o.target, file: file.path }, detail);
      failures++;
      if (failures >= retry.attempts * 2) throw httpError(429, { ...o.target, file: file.path }, detail);
      await sleep(wait, signal);
      continue;
    }
    if (res.status >= 500) {
      const detail = await drain(res);
      await fail(httpError(res.status, { ...o.target, file: file.path }, detail));
      continue;
    }
    if (!res.ok || !res.body) {
      const detail = await drain(res);
      throw httpError(res.status, { ...o.target, file: file.path }, detail, res.headers.get('x-error-code'));
    }
    if (res.status === 206) {
      const start = Number(/^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1] ?? NaN);
      if (start !== offset) {
        await drain(res);
        await restart();
        continue;
      }
    } else if (offset > 0) {
      await restart(); // the server sent the whole file instead of the rest
    }
    const sink = await (o.openSink ?? openAppend)(part);
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (offset + chunk.length > file.size)
          throw new QinsError('BAD_INPUT', `${file.path}: the hub sent more than the ${file.size} bytes it lists; nothing was kept, try again`);
        try {
          await sink.write(chunk);
        } catch (e) {
          if (diskFull(e)) throw new QinsError('NO_SPACE', `the disk is full while downloading ${file.path} (${offset} of ${file.size} bytes kept in ${part}): free some space and resume`);
          throw new QinsError('IO', `${part}: ${(e as Error).message}`);
        }
        hash.update(chunk);
        offset += chunk.length;
        received += chunk.length;
        failures = 0;
        o.onProgress?.(offset);
      }
    } catch (e) {
      if (e instanceof QinsError && e.code === 'BAD_INPUT') {
        await sink.close().catch(() => undefined);
        await unlink(part).catch(() => undefined);
        throw e;
      }
      if (e instanceof QinsError) throw e;
      if (isAbort(e) || signal.aborted) throw new QinsError('CANCELLED', 'cancelled');
      await fail(e); // the connection dropped: ask for the rest
      continue;
    } finally {
      await sink.close().catch(() => undefined);
    }
    if (offset < file.size) await fail(new Error(`the connection closed after ${offset} of ${file.size} bytes`));
  }

  const digest = hash.digest('hex');
  if (digest !== file.oid.toLowerCase()) {
    await unlink(part).catch(() => undefined);
    throw new QinsError(
      'BAD_INPUT',
      `${file.path}: checksum mismatch (${file.lfs ? 'sha256' : 'git sha1'} ${digest}, the hub lists ${file.oid}); the downloaded file was deleted — download it again`,
    );
  }
  await rename(part, o.blob);
  return received;
}
