// Starting the core without Electron: the engine host is a forked Node process.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppCore } from './app-core.js';
import { forkLauncher } from './engine-supervisor.js';
import { appRoot } from './paths.js';

/** The built engine host entry (electron-vite bundles it next to the CLI). */
export function engineHostEntry(): string {
  const entry = join(appRoot(), 'out', 'main', 'engine-host.js');
  if (!existsSync(entry)) throw new Error(`engine host not built (${entry} is missing); run \`npm run build\``);
  return entry;
}

export async function startHeadlessCore(): Promise<AppCore> {
  // The browser may open long after the server: the first-run conversion waits for it (or an API call).
  const core = new AppCore({ mode: 'web', launcher: forkLauncher(engineHostEntry()), firstRun: 'when-needed' });
  await core.start();
  return core;
}
