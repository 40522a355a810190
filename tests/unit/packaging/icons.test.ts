// The committed icons: generated from the current SVG, and well-formed (.icns read back here with an
// independent parser; every PNG's size from its header).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectDir } from './builder.js';

const icons = join(projectDir, 'assets', 'icons');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Apple's icon types and the pixel size each must hold. */
const ICNS_PIXELS: Record<string, number> = {
  icp4: 16, icp5: 32, icp6: 64, ic07: 128, ic08: 256, ic09: 512, ic10: 1024, ic11: 32, ic12: 64, ic13: 256, ic14: 512,
};

function readIcns(buf: Buffer): Map<string, Buffer> {
  expect(buf.toString('latin1', 0, 4)).toBe('icns');
  expect(buf.readUInt32BE(4)).toBe(buf.length);
  const entries = new Map<string, Buffer>();
  let at = 8;
  while (at < buf.length) {
    expect(at + 8).toBeLessThanOrEqual(buf.length);
    const type = buf.toString('latin1', at, at + 4);
    const len = buf.readUInt32BE(at + 4);
    expect(len).toBeGreaterThan(8);
    expect(at + len).toBeLessThanOrEqual(buf.length);
    entries.set(type, buf.subarray(at + 8, at + len));
    at += len;
  }
  expect(at).toBe(buf.length);
  return entries;
}

describe('app icons', () => {
  const manifest = JSON.parse(readFileSync(join(icons, 'icons.json'), 'utf8')) as {
    source_sha256: string;
    outputs: Record<string, { bytes: number; sha256: string }>;
  };

  it('were generated from the current icon.svg (run `npm run icons` after editing it)', () => {
    expect(manifest.source_sha256).toBe(sha256(readFileSync(join(icons, 'icon.svg'))));
    expect(Object.keys(manifest.outputs)).toEqual(expect.arrayContaining(['icon.icns', 'icon.png', 'png/512x512.png', 'png/16x16.png']));
    for (const [name, { bytes, sha256: hash }] of Object.entries(manifest.outputs)) {
      const data = readFileSync(join(icons, name));
      expect(data.length, name).toBe(bytes);
      expect(sha256(data), name).toBe(hash);
    }
  });

  it('icon.svg is a square 1024 canvas', () => {
    const svg = readFileSync(join(icons, 'icon.svg'), 'utf8');
    expect(svg).toMatch(/viewBox="0 0 1024 1024"/);
  });

  it('icon.icns holds PNG images from 16 to 1024 px, each the size its type requires', () => {
    const entries = readIcns(readFileSync(join(icons, 'icon.icns')));
    expect([...entries.keys()]).toEqual(expect.arrayContaining(['icp4', 'icp5', 'ic07', 'ic08', 'ic09', 'ic10', 'ic11', 'ic12', 'ic13', 'ic14']));
    for (const [type, data] of entries) {
      const want = ICNS_PIXELS[type];
      expect(want, `known icns type ${type}`).toBeDefined();
      expect(pngSize(data), type).toEqual({ width: want, height: want });
    }
  });

  it('the Linux PNG set has the hicolor sizes, named NxN.png', () => {
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512]) {
      expect(pngSize(readFileSync(join(icons, 'png', `${size}x${size}.png`)))).toEqual({ width: size, height: size });
    }
    expect(pngSize(readFileSync(join(icons, 'icon.png')))).toEqual({ width: 1024, height: 1024 });
  });

  it('the parser above rejects a truncated file (it can fail)', () => {
    const good = readFileSync(join(icons, 'icon.icns'));
    expect(() => readIcns(good.subarray(0, good.length - 10))).toThrow();
  });
});
