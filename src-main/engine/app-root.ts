// The package root (the folder holding package.json), for the engine host and the main process alike.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/**
 * The package root (the folder holding package.json), found by walking up from this module, so it
 * works from sources (src-main/engine) and from bundles (out/main). Inside a packaged app this is the
 * app.asar root; unpacked native files live beside it in app.asar.unpacked.
 */
export function appRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return (cachedRoot = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the application root (no package.json above this module)');
    dir = up;
  }
}
