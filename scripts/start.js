#!/usr/bin/env node
// `npm start`: the desktop app when an Electron binary and a display are available; otherwise one
// line saying why, then the same UI served to a browser by `qins serve`.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Path of an installed Electron binary, without triggering Electron's download-on-require. */
function electronBinary() {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const rel = readFileSync(pathFile, 'utf8').trim();
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(pkg, 'dist');
  const bin = join(dist, rel);
  return existsSync(bin) ? bin : null;
}

const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const bin = electronBinary();

let child;
if (bin && hasDisplay) {
  child = spawn(bin, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
} else {
  const why = !bin ? 'no Electron binary is installed' : 'no display is available';
  console.log(`QINS Chat: ${why}, so the desktop window cannot open; serving the same UI to your browser instead.`);
  child = spawn(process.execPath, [join(root, 'bin', 'qins.js'), 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
