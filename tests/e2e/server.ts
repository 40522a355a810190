// Starts `qins serve` on a free port with a fresh data directory, for one test file.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServedApp {
  url: string;
  port: number;
  token: string;
  home: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** `prepare` runs on the fresh data directory before the server starts (seeding it). */
export async function startServe(env: Record<string, string> = {}, prepare?: (home: string) => void): Promise<ServedApp> {
  const home = mkdtempSync(join(tmpdir(), 'qins-e2e-'));
  prepare?.(home);
  const child = spawn(process.execPath, ['bin/qins.js', 'serve', '--port', '0', '--json'], {
    // a Hugging Face cache and home of its own (never the user's), no token
    env: { ...process.env, QINS_HOME: home, HF_HUB_CACHE: join(home, 'hf-cache'), HF_HOME: join(home, 'hf-home'), HF_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const info = await new Promise<{ url: string; port: number; token: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`qins serve did not start: ${err}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        const parsed = JSON.parse(out) as { url: string; port: number; token: string };
        clearTimeout(timer);
        resolve(parsed);
      } catch {
        // wait for the whole object
      }
    });
    child.on('exit', (code) => reject(new Error(`qins serve exited with ${code}: ${err}`)));
  });
  return {
    ...info,
    home,
    process: child,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
