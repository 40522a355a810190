// Source lists for binding.gyp (and the standalone kernel test build): every .cpp under src/,
// grouped by the instruction set it is compiled for. Paths are relative to native/.
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
const isX86 = (f) => f.startsWith('src/kernels/x86/');
const isArm = (f) => f.startsWith('src/kernels/arm/');

module.exports = {
  /** Everything compiled with baseline flags (generic kernels, model, codecs, addon glue). */
  baseline: () => all().filter((f) => !isX86(f) && !isArm(f)),
  /** x86 kernels for one ISA level: files named *_<isa>.cpp. */
  x86: (isa) => all().filter((f) => isX86(f) && f.endsWith(`_${isa}.cpp`)),
  /** NEON kernels. */
  arm: () => all().filter(isArm),
};
