// The log file: nothing before a host starts it, size rotation, secrets redacted, stderr split into
// lines; and an engine crash names the file in its message.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineSupervisor, type HostProcess } from '../../../src-main/core/engine-supervisor.js';
import { addLogSecret, closeLog, initLog, lineSplitter, log, logFile, redact } from '../../../src-main/core/log.js';

const dir = mkdtempSync(join(tmpdir(), 'qins-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the log', () => {
  it('writes nothing before initLog', async () => {
    expect(logFile()).toBeNull();
    log.error('main', 'lost'); // a no-op, no throw
  });

  it('redacts tokens in URLs, Bearer headers and registered secrets', () => {
    addLogSecret('S3cretS3cretS3cret');
    expect(redact('GET /?token=abc123&x=1 and /v1?a=b&token=zzz')).toBe('GET /?token=[redacted]&x=1 and /v1?a=b&token=[redacted]');
    expect(redact('Authorization: Bearer abc.def-ghi')).toBe('Authorization: Bearer [redacted]');
    expect(redact('the key is S3cretS3cretS3cret, again S3cretS3cretS3cret')).toBe('the key is [redacted], again [redacted]');
    addLogSecret('short'); // too short to be a token: not registered
    expect(redact('a short word')).toBe('a short word');
  });

  it('rotates by size, keeping a bounded number of files, and never writes a secret', async () => {
    const folder = join(dir, 'logs');
    const file = initLog(folder, { maxBytes: 4096, maxFiles: 3 });
    expect(file).toBe(join(folder, 'qins.log'));
    expect(logFile()).toBe(file);
    for (let i = 0; i < 200; i++) {
      log.info('main', `line ${i} ${'x'.repeat(80)} token=S3cretS3cretS3cret`);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 5));
    }
    log.error('core', 'boom', new Error('kaput'));
    await closeLog();
    const files = readdirSync(folder).sort();
    expect(files).toEqual(['qins.log', 'qins.log.1', 'qins.log.2', 'qins.log.3']);
    let all = '';
    for (const f of files) {
      expect(readFileSync(join(folder, f)).length).toBeLessThanOrEqual(4096 + 200);
      all += readFileSync(join(folder, f), 'utf8');
    }
    expect(all).not.toContain('S3cretS3cretS3cret');
    // the newest lines are in qins.log
    const current = readFileSync(file, 'utf8');
    expect(current).toMatch(/ERROR \[core\] boom: Error: kaput\n\s+at /);
    expect(current).toContain('line 199');
    expect(all).not.toContain('line 0 '); // the oldest rotated away
  });

  it('splits a stream into lines, keeping a partial line until it ends', () => {
    const lines: string[] = [];
    const feed = lineSplitter((l) => lines.push(l));
    feed('one\r\ntw');
    feed('o\n\nthr');
    expect(lines).toEqual(['one', 'two']);
    feed('ee\n');
    expect(lines).toEqual(['one', 'two', 'three']);
  });
});

describe('an engine crash', () => {
  it('says where the host\'s last lines are', async () => {
    let exit: ((code: number | null, signal: string | null) => void) | undefined;
    const launch = (): HostProcess => {
      let onMessage: ((m: unknown) => void) | undefined;
      setImmediate(() => onMessage?.({ kind: 'ready', pid: 4242 }));
      return {
        pid: 4242,
        send() {},
        onMessage: (l) => (onMessage = l),
        onExit: (l) => (exit = l),
        kill() {},
      };
    };
    const sup = new EngineSupervisor(launch, { backoffMs: 60_000, crashHint: () => '/var/log/qins/qins.log' });
    await sup.start();
    exit!(134, null);
    expect(sup.status()).toMatchObject({ state: 'crashed', lastError: 'engine host exited with code 134; its last lines are in /var/log/qins/qins.log' });
    await sup.stop();
    expect(existsSync(join(dir, 'nothing'))).toBe(false);
  });
});
