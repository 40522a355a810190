#!/usr/bin/env node
// Renders the app icon (assets/icons/icon.svg) into the files packaging uses, and records what it
// made in assets/icons/icons.json (the SVG's hash and each output's hash) so a test can tell when
// the committed icons are stale. Run after editing the SVG: `npm run icons`.
//   assets/icons/icon.icns        macOS (16 … 1024 px, PNG entries)
//   assets/icons/icon.png         1024 px
//   assets/icons/png/NxN.png      Linux hicolor sizes (16 … 512 px)
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import { buildIcns, ICNS_TYPES, pngSize } from './lib/icns.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const iconsDir = join(root, 'assets', 'icons');
const svgPath = join(iconsDir, 'icon.svg');
const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

function fail(message) {
  process.stderr.write(`make-icons: ${message}\n`);
  process.exit(1);
}

let svg;
try {
  svg = readFileSync(svgPath);
} catch (e) {
  fail(`cannot read ${relative(root, svgPath)} (${e.code ?? e.message})`);
}

function render(size) {
  let png;
  try {
    png = new Resvg(svg, { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false } }).render().asPng();
  } catch (e) {
    fail(`cannot render ${relative(root, svgPath)}: ${e.message.split('\n')[0]}`);
  }
  const { width, height } = pngSize(png);
  if (width !== size || height !== size) fail(`the SVG must be square; it rendered ${width}x${height} for ${size} px`);
  return png;
}

const sizes = [...new Set([...ICNS_TYPES.map(([, s]) => s), ...LINUX_SIZES, 1024])].sort((a, b) => a - b);
const pngs = new Map(sizes.map((s) => [s, render(s)]));

const outputs = new Map();
outputs.set('icon.icns', buildIcns(pngs));
outputs.set('icon.png', pngs.get(1024));
for (const s of LINUX_SIZES) outputs.set(`png/${s}x${s}.png`, pngs.get(s));

// Everything is rendered before anything is written; each file goes through a temp name + rename.
mkdirSync(join(iconsDir, 'png'), { recursive: true });
const manifest = {
  source: 'icon.svg',
  source_sha256: sha256(svg),
  generator: 'scripts/make-icons.mjs',
  outputs: Object.fromEntries([...outputs].map(([name, data]) => [name, { bytes: data.length, sha256: sha256(data) }])),
};
const writes = [...outputs, ['icons.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)]];
const temps = [];
try {
  for (const [name, data] of writes) {
    const tmp = join(iconsDir, `${name}.tmp-${process.pid}`);
    writeFileSync(tmp, data);
    temps.push([tmp, join(iconsDir, name)]);
  }
  for (const [tmp, dest] of temps) renameSync(tmp, dest);
} catch (e) {
  for (const [tmp] of temps) rmSync(tmp, { force: true });
  fail(`cannot write the icons (${e.code ?? e.message})`);
}
process.stderr.write(`make-icons: wrote ${writes.length} files to ${relative(root, iconsDir)}/\n`);
