// Source lists for binding.gyp and the standalone test builds (test/run.sh): every .cpp under src/,
// grouped by the instruction set it is compiled for and by area. Paths are relative to native/.
//
//   instruction set: files under any `x86/` folder are x86-64 SIMD code named *_avx2.cpp,
//   *_avxvnni.cpp or *_avx512.cpp; files under any `arm/` folder are NEON code; everything else is baseline.
//   area: 'codecs' (src/codecs/, the converter's encoders: compiled with -ffp-contract=off so that
//   every instruction set performs the generic code's float operations unfused) or 'engine'
//   (everything else). Without an area, both.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

function walk(dir) {
  const out = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(rel));
    else if (entry.name.endsWith('.cpp')) out.push(rel);
  }
  return out.sort();
}

const all = () => walk('src');
const isX86 = (f) => f.split('/').includes('x86');
const isArm = (f) => f.split('/').includes('arm');
const isCodecs = (f) => f.startsWith('src/codecs/');
const inArea = (area) => (f) => area === undefined || (area === 'codecs' ? isCodecs(f) : !isCodecs(f));

/** Compiler flags of each area (added to the instruction-set flags). */
const areaFlags = { codecs: ['-ffp-contract=off'], engine: [] };

module.exports = {
  /** Files compiled with baseline flags. */
  baseline: (area) => all().filter((f) => !isX86(f) && !isArm(f) && inArea(area)(f)),
  /** x86 SIMD files for one ISA level (files named *_<isa>.cpp under an x86/ folder). */
  x86: (isa, area) => all().filter((f) => isX86(f) && f.endsWith(`_${isa}.cpp`) && inArea(area)(f)),
  /** NEON files (under an arm/ folder). */
  arm: (area) => all().filter((f) => isArm(f) && inArea(area)(f)),
  /** Extra compiler flags of an area. */
  flags: (area) => areaFlags[area] ?? [],
  /** The area of a file. */
  area: (f) => (isCodecs(f) ? 'codecs' : 'engine'),
};
