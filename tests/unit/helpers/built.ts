// Tests that start real child processes use the built bundles (npm test builds them first).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..', '..');

export function builtEngineHost(): string {
  const entry = join(repoRoot, 'out', 'main', 'engine-host.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` before the unit tests`);
  return entry;
}
