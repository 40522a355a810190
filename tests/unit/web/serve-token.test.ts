// `qins serve` keeps the token stored in the data folder across starts; --new-token replaces it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const home = mkdtempSync(join(tmpdir(), 'qins-serve-token-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Starts `qins serve --port 0 --json`, reads its JSON line, asks it for /v1/models, stops it. */
async function serveOnce(...extra: string[]): Promise<{ token: string; status: number; stderr: string }> {
  const child = spawn(process.execPath, ['bin/qins.js', 'serve', '--port', '0', '--json', ...extra], {
    env: { ...process.env, QINS_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const info = await new Promise<{ url: string; port: number; token: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`qins serve did not start: ${stderr}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        resolve(JSON.parse(out) as { url: string; port: number; token: string });
        clearTimeout(timer);
      } catch {
        // the rest of the object is still coming
      }
    });
    child.on('exit', (code) => reject(new Error(`qins serve exited with ${code}: ${stderr}`)));
  });
  const r = await fetch(`http://127.0.0.1:${info.port}/v1/models`, { headers: { Authorization: `Bearer ${info.token}` } });
  await r.arrayBuffer();
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
  return { token: info.token, status: r.status, stderr };
}

describe('qins serve and the stored token', () => {
  it('serves with the same token on every start until --new-token', async () => {
    const first = await serveOnce();
    expect(first.status).toBe(200);
    expect(readFileSync(join(home, 'api-token'), 'utf8').trim()).toBe(first.token);
    const second = await serveOnce();
    expect(second.token).toBe(first.token);
    const fresh = await serveOnce('--new-token');
    expect(fresh.token).not.toBe(first.token);
    expect(fresh.status).toBe(200);
    expect(fresh.stderr).toMatch(/new API token/);
    expect(fresh.stderr).not.toContain(fresh.token);
    expect((await serveOnce()).token).toBe(fresh.token);
    // qins serve logs to the data folder; the token never appears there.
    const logText = readFileSync(join(home, 'logs', 'qins.log'), 'utf8');
    expect(logText).toMatch(/INFO {2}\[main\] qins serve starting with a new API token/);
    expect(logText).toMatch(/INFO {2}\[api\] serving on 127\.0\.0\.1:\d+/);
    expect(logText).not.toContain(first.token);
    expect(logText).not.toContain(fresh.token);
  }, 120_000);
});
