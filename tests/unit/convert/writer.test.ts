// The atomic writer's background flushes: an fdatasync every so many bytes while the file is
// written (one at a time), the contents unchanged, and a failed flush reported as the write error
// it is, with the temp file removed.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicFile, defaultIo, type WriterIo } from '../../../src-main/engine/convert/writer.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qins-writer-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MB = 1 << 20;
const piece = (k: number): Buffer => Buffer.alloc(MB, k);

/** defaultIo, counting the flushes and how many ran at once; `fail` makes the n-th flush fail. */
function countingIo(fail?: { at: number; code: string }): WriterIo & { syncs: number; most: number } {
  let running = 0;
  const io = {
    syncs: 0,
    most: 0,
    write: defaultIo.write,
    async datasync(...args: Parameters<WriterIo['datasync']>): Promise<void> {
      io.syncs++;
      running++;
      io.most = Math.max(io.most, running);
      try {
        await new Promise((r) => setTimeout(r, 20)); // long enough for writes to pile up behind it
        if (fail && io.syncs === fail.at) throw Object.assign(new Error(`${fail.code}: simulated`), { code: fail.code });
        await defaultIo.datasync(...args);
      } finally {
        running--;
      }
    },
  };
  return io;
}

describe('background flushes', () => {
  it('start every flushEvery bytes, one at a time, and leave the contents as written', async () => {
    const io = countingIo();
    const f = await AtomicFile.create(join(dir, 'out.bin'), io, 2 * MB);
    // 6 MB at once: the first flush starts at 2 MB and is still running when the rest arrives
    for (let k = 0; k < 6; k++) await f.write(piece(k), k * MB);
    expect(io.syncs).toBe(1);
    await new Promise((r) => setTimeout(r, 100)); // it finishes
    // 4 MB came in since it started: the next write starts the next flush
    await f.write(piece(6), 6 * MB);
    expect(io.syncs).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    await f.write(piece(7), 7 * MB); // 1 MB since: no flush
    expect(io.syncs).toBe(2);
    await f.commit();
    expect(f.flushes).toBe(2);
    expect(io.most).toBe(1);
    const out = readFileSync(join(dir, 'out.bin'));
    expect(out.length).toBe(8 * MB);
    for (let k = 0; k < 8; k++) expect(out[k * MB]).toBe(k);
    expect(readdirSync(dir)).toEqual(['out.bin']);
  });

  it('a file smaller than flushEvery is only synced at the end', async () => {
    const io = countingIo();
    const f = await AtomicFile.create(join(dir, 'small.bin'), io, 8 * MB);
    await f.write(piece(1), 0);
    await f.commit();
    expect(io.syncs).toBe(0);
    expect(readFileSync(join(dir, 'small.bin')).length).toBe(MB);
  });

  it('a failed flush fails the next write (or the commit) as a write error, and abort removes the temp file', async () => {
    const io = countingIo({ at: 1, code: 'EIO' });
    const f = await AtomicFile.create(join(dir, 'bad.bin'), io, MB);
    await f.write(piece(1), 0); // starts the flush that fails
    await new Promise((r) => setTimeout(r, 60));
    const err = await f.write(piece(2), MB).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IO_ERROR' });
    await f.abort();
    expect(readdirSync(dir)).toEqual([]);

    const io2 = countingIo({ at: 1, code: 'ENOSPC' });
    const g = await AtomicFile.create(join(dir, 'late.bin'), io2, MB);
    await g.write(piece(1), 0);
    const late = await g.commit().catch((e: unknown) => e); // the flush is still running: commit waits for it
    expect(late).toMatchObject({ code: 'NO_SPACE' });
    expect(readdirSync(dir)).toEqual([]);
  });
});
