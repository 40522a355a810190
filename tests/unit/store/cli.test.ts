// `qins export` and `qins import` against $QINS_HOME, through the CLI entry point.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src-main/cli/index.js';
import { ChatStore } from '../../../src-main/core/store/repository.js';
import { tempDir } from './helpers.js';

async function qins(home: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const saved = process.env.QINS_HOME;
  process.env.QINS_HOME = home;
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    process.env.QINS_HOME = saved;
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

describe('qins export / qins import', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('qins-cli-')));
  afterEach(() => cleanup());

  function seed(home: string): string {
    const store = ChatStore.open(join(home, 'qins.db'));
    const c = store.createConversation({ title: 'CLI chat', modelName: 'tiny' });
    const u = store.addUserMessage(c.id, null, 'Hello 👋');
    const a = store.beginAssistantMessage(c.id, u.id, { model: 'tiny', codec: 'qins8' });
    store.appendContent(a, 'Hi! How can I help?');
    store.finishMessage(a, { status: 'complete', stats: { tokens: 6, tok_s: 41.5, ttft_ms: 35, stop_reason: 'eos' } });
    store.createConversation({ title: 'Other' });
    store.close();
    return c.id;
  }

  it('exports all conversations as JSON and round-trips through import into an empty home', async () => {
    const home1 = join(dir, 'home1');
    seed(home1);
    const out1 = join(dir, 'all.json');
    const r = await qins(home1, 'export', '--format', 'json', '--out', out1, '--json');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ format: 'json', conversations: 2, messages: 2, file: out1, store: join(home1, 'qins.db') });
    const home2 = join(dir, 'home2');
    const imp = await qins(home2, 'import', out1, '--json');
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.stdout)).toMatchObject({ messages: 2, duplicates: [] });
    const out2 = join(dir, 'again.json');
    expect((await qins(home2, 'export', '--out', out2)).code).toBe(0);
    const strip = (f: string) => readFileSync(f, 'utf8').replace(/"exportedAt": "[^"]*"/, '');
    expect(strip(out2)).toBe(strip(out1));
    // Importing again: everything is a duplicate, nothing changes.
    const dup = await qins(home2, 'import', out1);
    expect(dup.code).toBe(0);
    expect(dup.stderr).toMatch(/imported 0 conversation\(s\).*\n.*skipped 2 already present/);
  });

  it('exports one conversation as Markdown or HTML (format from --format or the extension)', async () => {
    const home = join(dir, 'home');
    const id = seed(home);
    const md = join(dir, 'one.md');
    expect((await qins(home, 'export', '--conversation', id, '--out', md)).code).toBe(0);
    const text = readFileSync(md, 'utf8');
    expect(text).toContain('# CLI chat');
    expect(text).toContain('Hi! How can I help?');
    expect(text).not.toContain('# Other');
    const html = join(dir, 'one.html');
    expect((await qins(home, 'export', '--conversation', id, '--format', 'html', '--out', html)).code).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('<title>CLI chat</title>');
  });

  it('fails with a one-line reason on bad input and writes nothing', async () => {
    const home = join(dir, 'home');
    const none = await qins(home, 'export', '--format', 'json', '--out', join(dir, 'x.json'));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^qins: no conversation store at .*qins\.db\n$/);
    expect(existsSync(join(home, 'qins.db'))).toBe(false);

    seed(home);
    const cases: Array<[string[], RegExp]> = [
      [['export', '--out', join(dir, 'x.txt')], /cannot tell the format from/],
      [['export', '--format', 'pdf', '--out', join(dir, 'x.pdf')], /unknown format "pdf"/],
      [['export', '--conversation', 'missing', '--out', join(dir, 'x.json')], /no conversation missing/],
      [['export', '--out', join(dir, 'nowhere', 'x.json')], /folder .* does not exist/],
    ];
    for (const [argv, error] of cases) {
      const r = await qins(home, ...argv);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(error);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    expect(existsSync(join(dir, 'x.json'))).toBe(false);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format": "qins-chat-export", "version": 1, "conversations": [');
    const fresh = join(dir, 'fresh-home');
    const r = await qins(fresh, 'import', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^qins: .*bad\.json is not valid JSON \(.*\)\n$/);
    // Nothing written: not even an empty store.
    expect(existsSync(join(fresh, 'qins.db'))).toBe(false);
    const missing = await qins(fresh, 'import', join(dir, 'nope.json'));
    expect(missing.stderr).toMatch(/no file/);
  });

  it('--out - writes the export to stdout (the summary to stderr) and refuses what would mix with it', async () => {
    const home = join(dir, 'home');
    const id = seed(home);
    const md = await qins(home, 'export', '--conversation', id, '--format', 'md', '--out', '-');
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('# CLI chat');
    expect(md.stdout).toContain('Hi! How can I help?');
    expect(md.stderr).toMatch(/exported 1 conversation\(s\) to stdout/);
    expect(existsSync(join(process.cwd(), '-'))).toBe(false);
    const json = await qins(home, 'export', '--format', 'json', '--out', '-');
    expect(JSON.parse(json.stdout)).toMatchObject({ format: 'qins-chat-export', conversations: [{}, {}] });
    for (const [argv, error] of [
      [['export', '--out', '-'], /--out - \(stdout\) needs --format/],
      [['export', '--format', 'md', '--out', '-', '--json'], /--json prints a summary on stdout/],
      [['export', '--format', 'md', '--out', '-', '--conversation', 'missing'], /no conversation missing/],
    ] as Array<[string[], RegExp]>) {
      const r = await qins(home, ...argv);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(error);
      expect(r.stdout).toBe('');
    }
  });
});

describe('qins --version', () => {
  it('prints the version from package.json and exits 0', async () => {
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await qins('/nonexistent-qins-home', flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${pkg.version}\n`);
    }
  });
});
