// `qins pull` through the built CLI against the mock hub (HF_ENDPOINT), into a fresh Hugging Face
// cache (HF_HUB_CACHE): --json prints one object, bad input exits non-zero with one stderr line, an
// interrupted pull resumes when run again, and (as root, on a tiny tmpfs) a disk too small is refused.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockHub, startMockHub } from '../../mock-hub/mock-hub.js';
import { repoRoot } from '../helpers/built.js';
import { canMountTmpfs, mountTmpfs } from '../helpers/tmpfs.js';

const TINY = join(repoRoot, 'assets', 'models', 'tiny-phi3-chat');
const REPO = 'qins-test/tiny-phi3-chat';
let hub: MockHub;
let scratch: string;

beforeAll(async () => {
  if (!existsSync(join(repoRoot, 'out', 'main', 'cli.js'))) throw new Error('out/main/cli.js is missing: run `npm run build` before the unit tests');
  hub = await startMockHub([
    { id: REPO, dir: TINY, license: 'mit' },
    { id: 'qins-test/gated', dir: TINY, gated: 'manual', tokens: ['hf_goodtoken1'] },
    { id: 'qins-test/gguf-only', files: { 'config.json': '{"model_type":"llama"}', 'model-q4.gguf': Buffer.alloc(100) } },
  ]);
  scratch = mkdtempSync(join(tmpdir(), 'qins-pull-'));
});
afterAll(async () => {
  await hub?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs the CLI without blocking this process (the mock hub lives here). */
function qins(args: string[], env: Record<string, string>, opts: { killAfterBytes?: number } = {}): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'qins.js'), ...args], { env: { ...process.env, HF_TOKEN: '', ...env }, cwd: scratch });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /download: [\d.]+% ([\d.]+) MB/.exec(stderr.split('\n').filter(Boolean).at(-1) ?? '');
      if (opts.killAfterBytes && m && Number(m[1]) * 1e6 > opts.killAfterBytes) child.kill('SIGINT');
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('qins pull', () => {
  it('downloads into the cache, then --convert writes the .qins file; --json prints one object', async () => {
    const cache = join(scratch, 'c1');
    const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache };
    const r = await qins(['pull', REPO, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const snapshot = join(cache, 'models--qins-test--tiny-phi3-chat', 'snapshots', hub.commitOf(REPO));
    expect(j).toMatchObject({ repo: REPO, revision: 'main', commit: hub.commitOf(REPO), snapshot, files: readdirSync(TINY).length, output: null });
    expect(readdirSync(snapshot).sort()).toEqual(readdirSync(TINY).sort());
    expect(r.stderr).toContain('phi3, license mit');

    const out = join(scratch, 'tiny.qins');
    const c = await qins(['pull', `https://huggingface.co/${REPO}/tree/main`, '--convert', 'q8', '-o', out, '--json'], env);
    expect(c.code, c.stderr).toBe(0);
    const k = JSON.parse(c.stdout);
    expect(k.downloaded_bytes).toBe(0); // everything was in the cache already
    expect(k.output).toMatchObject({ path: out, architecture: 'phi3', codec: 'q8' });
    expect(existsSync(out)).toBe(true);
  }, 180_000);

  it('an interrupted pull (Ctrl-C) resumes when run again', async () => {
    const cache = join(scratch, 'c2');
    const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache };
    hub.fault(REPO, 'model-00001-of-00004.safetensors', { bytesPerSecond: 4_000_000 });
    const r = await qins(['pull', REPO], env, { killAfterBytes: 1_500_000 });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted; run the same command again to resume');
    expect(existsSync(join(cache, 'models--qins-test--tiny-phi3-chat', 'snapshots'))).toBe(false);
    hub.clearFaults();
    const before = hub.requests.length;
    const again = await qins(['pull', REPO, '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(hub.requests.slice(before).some((q) => q.range && /^bytes=[1-9]\d*-$/.test(q.range))).toBe(true);
  }, 120_000);

  it('bad input exits 2 with one line: unknown repo, unknown revision, gated, no safetensors, bad codec', async () => {
    const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: join(scratch, 'c3') };
    const cases: Array<[string[], RegExp, Record<string, string>?]> = [
      [['pull', 'qins-test/none'], /qins-test\/none: no such model repository/],
      [['pull', `${REPO}@v2`], /has no revision "v2"/],
      [['pull', 'qins-test/gated'], /is gated: accept the license on the model page and add a token/],
      [['pull', 'qins-test/gated'], /is gated/, { HF_TOKEN: 'hf_wrongtoken' }],
      [['pull', 'qins-test/gguf-only'], /has no \.safetensors weights \(only GGUF weights\)/],
      [['pull', REPO, '--convert', 'zip'], /unknown codec "zip"/],
      [['pull', 'not/a/repo'], /is not a repository id/],
    ];
    for (const [args, message, extra] of cases) {
      const r = await qins(args, { ...env, ...extra });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines.at(-1)).toMatch(message);
      expect(lines.at(-1)).toMatch(/^qins: /);
      expect(r.stdout).toBe('');
    }
    const ok = await qins(['pull', 'qins-test/gated', '--json'], { ...env, HF_TOKEN: 'hf_goodtoken1' });
    expect(ok.code, ok.stderr).toBe(0);
  }, 120_000);

  it.skipIf(!canMountTmpfs())('a cache on a disk too small (a 20 MB tmpfs) is refused before anything downloads', async () => {
    const cache = join(scratch, 'small');
    mkdirSync(cache, { recursive: true });
    const unmount = mountTmpfs(cache, '20m');
    try {
      const refused = await qins(['pull', REPO], { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache });
      expect(refused.code).toBe(2);
      expect(refused.stderr.trim().split('\n').at(-1)).toMatch(/needs [\d.]+ MB in .*; [\d.]+ MB is free/);
      expect(readdirSync(cache)).toEqual([]);
    } finally {
      unmount();
    }
  }, 120_000);
});
