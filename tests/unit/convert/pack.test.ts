// .qinz packing: lossless round trip, honest ratio, corrupt / truncated archives rejected with
// nothing left behind.
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint, packQins, unpackQinz, ConvertError } from '../../../src-main/engine/convert/index.js';
import { entries, PHI3, scratch } from './helpers.js';

const root = scratch('qins-pack-');
const outDir = join(root.dir, 'out');
const files: Record<string, string> = {};
beforeAll(async () => {
  mkdirSync(outDir);
  for (const codec of ['qins8', 'qins-seed', 'qins4'] as const) {
    files[codec] = join(root.dir, `tiny-${codec}.qins`);
    await convertCheckpoint({ source: PHI3, destination: files[codec], codec });
  }
});
afterAll(() => root.cleanup());

describe('pack / unpack', () => {
  it.each([['qins8'], ['qins-seed'], ['qins4']])('%s: unpack(pack(x)) is byte-identical; the ratio is reported', async (codec) => {
    const packed = join(root.dir, `${codec}.qinz`);
    const back = join(outDir, `${codec}.qins`);
    const p = await packQins({ source: files[codec]!, destination: packed, chunkBytes: 1 << 20 });
    const u = await unpackQinz({ source: packed, destination: back });
    expect(readFileSync(back).equals(readFileSync(files[codec]!))).toBe(true);
    expect(p.ratio).toBeCloseTo(p.rawBytes / p.packedBytes, 3);
    expect(p.ratio).toBeGreaterThan(1.05);
    expect(u.ratio).toBe(p.ratio);
    process.stderr.write(`pack ${codec}: ${p.rawBytes} → ${p.packedBytes} bytes, ${p.ratio}×\n`);
  });

  it('rejects a corrupt archive and leaves no output', async () => {
    const packed = join(root.dir, 'corrupt.qinz');
    await packQins({ source: files.qins8!, destination: packed, chunkBytes: 1 << 20 });
    const b = readFileSync(packed);
    b[b.length - 5000] = b[b.length - 5000]! ^ 0xff;
    writeFileSync(packed, b);
    const dest = join(outDir, 'corrupt.qins');
    const err = await unpackQinz({ source: packed, destination: dest }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConvertError);
    expect(['CHECKSUM_MISMATCH', 'BAD_FILE']).toContain((err as ConvertError).code);
    expect(entries(outDir).filter((f) => f.startsWith('corrupt') || f.startsWith('.corrupt'))).toEqual([]);
  });

  it('rejects a truncated archive', async () => {
    const packed = join(root.dir, 'short.qinz');
    await packQins({ source: files.qins8!, destination: packed });
    truncateSync(packed, readFileSync(packed).length - 10);
    const err = await unpackQinz({ source: packed, destination: join(outDir, 'short.qins') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_FILE' });
    expect((err as Error).message).toMatch(/truncated|outside/);
    expect(entries(outDir).filter((f) => f.includes('short'))).toEqual([]);
  });

  it('refuses to pack something that is not a .qins file', async () => {
    const notQins = join(root.dir, 'x.bin');
    writeFileSync(notQins, Buffer.alloc(1000, 7));
    const err = await packQins({ source: notQins, destination: join(outDir, 'x.qinz') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_FILE' });
    expect(entries(outDir).filter((f) => f.includes('x.qinz'))).toEqual([]);
  });

  it('refuses a .qins file given to unpack', async () => {
    const err = await unpackQinz({ source: files.qins8!, destination: join(outDir, 'y.qins') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_FILE' });
    expect((err as Error).message).toMatch(/not a \.qinz file/);
  });

  it('cancels unpacking and leaves no output', async () => {
    const packed = join(root.dir, 'cancel.qinz');
    await packQins({ source: files.qins8!, destination: packed, chunkBytes: 1 << 18 });
    const ac = new AbortController();
    const err = await unpackQinz({
      source: packed,
      destination: join(outDir, 'cancel.qins'),
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'unpacking') ac.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CANCELLED' });
    expect(entries(outDir).filter((f) => f.includes('cancel'))).toEqual([]);
  });
});
