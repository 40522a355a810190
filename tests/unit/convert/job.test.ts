// The conversion job: progress events, cancellation, write failures mid-file, atomic replacement.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { convertCheckpoint, ConvertError, type ConvertProgress, verifyQins } from '../../../src-main/engine/convert/index.js';
import { defaultIo, type WriterIo } from '../../../src-main/engine/convert/writer.js';
import { entries, PHI3, scratch } from './helpers.js';

let root: ReturnType<typeof scratch>;
let outDir: string;
let dest: string;
beforeEach(() => {
  root = scratch();
  outDir = join(root.dir, 'out');
  mkdirSync(outDir);
  dest = join(outDir, 'tiny.qins');
});
afterEach(() => root.cleanup());

/** A writer that fails with `code` once more than `limit` bytes were written. */
function failingIo(limit: number, code: string): WriterIo & { written: number } {
  const io = {
    written: 0,
    async write(...args: Parameters<WriterIo['write']>): Promise<number> {
      const [, buf] = args;
      if (io.written + buf.byteLength > limit) {
        const e = new Error(`${code}: simulated`) as NodeJS.ErrnoException;
        e.code = code;
        throw e;
      }
      io.written += buf.byteLength;
      return defaultIo.write(...args);
    },
    datasync: defaultIo.datasync,
  };
  return io;
}

describe('convertCheckpoint job', () => {
  it('reports progress: phases in order, monotonic bytes, ends done at 100 %', async () => {
    const events: ConvertProgress[] = [];
    const r = await convertCheckpoint({ source: PHI3, destination: dest, codec: 'q8', chunkBytes: 1 << 20, onProgress: (p) => events.push(p) });
    const phases = events.map((e) => e.phase).filter((p, i, a) => a[i - 1] !== p);
    expect(phases).toEqual(['validating', 'encoding', 'finishing', 'done']);
    for (let i = 1; i < events.length; i++) expect(events[i]!.bytesDone).toBeGreaterThanOrEqual(events[i - 1]!.bytesDone);
    const last = events.at(-1)!;
    expect(last.bytesDone).toBe(last.bytesTotal);
    expect(last.tensorsDone).toBe(last.tensorsTotal);
    expect(last.tensorsTotal).toBe(r.header.tensors.length);
    expect(events.some((e) => e.phase === 'encoding' && e.tensor !== null && e.etaMs !== null)).toBe(true);
    expect(entries(outDir)).toEqual(['tiny.qins']);
  });

  it('cancels through its AbortSignal and leaves nothing behind', async () => {
    const ac = new AbortController();
    let encodingEvents = 0;
    const err = await convertCheckpoint({
      source: PHI3,
      destination: dest,
      codec: 'qins8',
      chunkBytes: 1 << 16,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'encoding' && ++encodingEvents === 1) ac.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConvertError);
    expect((err as ConvertError).code).toBe('CANCELLED');
    expect(entries(outDir)).toEqual([]);
  });

  it('a write failing with ENOSPC mid-file → NO_SPACE, temp file removed', async () => {
    const io = failingIo(5_000_000, 'ENOSPC');
    const err = await convertCheckpoint({ source: PHI3, destination: dest, codec: 'qins8', chunkBytes: 1 << 20, io }).catch((e: unknown) => e);
    expect(io.written).toBeGreaterThan(1_000_000); // it failed mid-file, not up front
    expect(err).toMatchObject({ code: 'NO_SPACE' });
    expect((err as Error).message).toMatch(/tiny\.qins: no space left/);
    expect(entries(outDir)).toEqual([]);
  });

  it('any other write error → IO_ERROR, temp file removed', async () => {
    const err = await convertCheckpoint({ source: PHI3, destination: dest, codec: 'bf16', io: failingIo(2_000_000, 'EIO') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IO_ERROR' });
    expect(entries(outDir)).toEqual([]);
  });

  it('writes coded chunks while coding the next ones, into buffers not reused before their write is done (same bytes as an undelayed disk)', async () => {
    let inFlight = 0;
    let most = 0;
    const slow: WriterIo = {
      async write(...args: Parameters<WriterIo['write']>): Promise<number> {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 20)); // a disk slower than the encoder
        try {
          return await defaultIo.write(...args);
        } finally {
          inFlight--;
        }
      },
      datasync: defaultIo.datasync,
    };
    await convertCheckpoint({ source: PHI3, destination: dest, codec: 'qins4', chunkBytes: 1 << 16, io: slow });
    expect(most).toBeGreaterThanOrEqual(2); // writes overlapped
    const other = join(outDir, 'direct.qins');
    await convertCheckpoint({ source: PHI3, destination: other, codec: 'qins4', chunkBytes: 1 << 16 });
    const a = readFileSync(dest);
    const b = readFileSync(other);
    expect(a.length).toBe(b.length);
    // the header holds the conversion time: compare everything after it, and the header's CRCs
    expect((await verifyQins(dest)).ok).toBe(true);
    const body = (x: Buffer) => x.subarray(x.indexOf(0, x.indexOf('"created"')));
    expect(body(a).equals(body(b))).toBe(true);
  }, 120_000);

  it('replaces an existing destination atomically', async () => {
    writeFileSync(dest, 'old contents');
    await convertCheckpoint({ source: PHI3, destination: dest, codec: 'q4' });
    expect(readFileSync(dest).subarray(0, 4).toString()).toBe('QINS');
    expect(entries(outDir)).toEqual(['tiny.qins']);
    expect((await verifyQins(dest)).ok).toBe(true);
  });

  it('a failed conversion keeps the previous file at the destination', async () => {
    writeFileSync(dest, 'old contents');
    await convertCheckpoint({ source: PHI3, destination: dest, codec: 'q8', io: failingIo(1_000_000, 'ENOSPC') }).catch(() => undefined);
    expect(readFileSync(dest, 'utf8')).toBe('old contents');
    expect(entries(outDir)).toEqual(['tiny.qins']);
  });
});
