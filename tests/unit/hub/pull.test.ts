// Downloads from the (mock) hub into a Hugging Face cache: the layout Python's huggingface_hub uses,
// resumed transfers, checksums, the hub's error answers, a full disk and cancelling.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QinsError } from '../../../src-shared/contract.js';
import { repoFolder } from '../../../src-main/core/hub/cache.js';
import { preflight, pullSnapshot, refusal } from '../../../src-main/core/hub/pull.js';
import type { HubClient } from '../../../src-main/core/hub/remote.js';
import { type OpenSink, type RetryPolicy, downloadBlob } from '../../../src-main/core/hub/transfer.js';
import { type MockHub, startMockHub } from '../../mock-hub/mock-hub.js';
import { repoRoot } from '../helpers/built.js';
import { canMountTmpfs, mountTmpfs } from '../helpers/tmpfs.js';

const TINY = join(repoRoot, 'assets', 'models', 'tiny-phi3-chat');
const REPO = 'qins-test/tiny-phi3-chat';
const GATED = 'qins-test/gated-phi3';
const TOKEN = 'hf_mocktoken123';
const FAST: RetryPolicy = { attempts: 4, baseMs: 10, maxMs: 50, maxRetryAfterMs: 5000 };
const SHARD = 'model-00002-of-00004.safetensors';

let hub: MockHub;
let scratch: string;

beforeAll(async () => {
  hub = await startMockHub([
    { id: REPO, dir: TINY, license: 'mit' },
    { id: GATED, dir: TINY, gated: 'manual', tokens: [TOKEN], license: 'llama3.1' },
    { id: 'qins-test/bin-only', files: { 'config.json': JSON.stringify({ model_type: 'llama' }), 'pytorch_model.bin': Buffer.alloc(1000, 1), 'tokenizer.json': '{}' } },
    { id: 'qins-test/gpt2-ish', files: { 'config.json': JSON.stringify({ model_type: 'gpt2' }), 'model.safetensors': Buffer.alloc(1000, 2), 'tokenizer.json': '{}' } },
  ]);
  scratch = mkdtempSync(join(tmpdir(), 'qins-hub-'));
});
afterAll(async () => {
  await hub?.close();
  rmSync(scratch, { recursive: true, force: true });
});
afterEach(() => hub.clearFaults());

let n = 0;
const freshCache = (): string => join(scratch, `cache-${++n}`);
const client = (token: string | null = null): HubClient => ({ endpoint: hub.url, token });
const opts = (cacheDir: string, token: string | null = null) => ({ client: client(token), cacheDir, modelsDir: join(cacheDir, '..', 'models'), codec: 'qins8' as const, hasToken: token !== null });
const ac = () => new AbortController();
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function rejects(p: Promise<unknown>, code: string, ...mentions: Array<string | RegExp>): Promise<QinsError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(QinsError);
  expect((e as QinsError).code).toBe(code);
  for (const m of mentions) expect((e as QinsError).message).toMatch(m);
  return e as QinsError;
}

describe('preflight', () => {
  it('shows architecture, license, gating, the files conversion needs, their size and the disk space', async () => {
    const cache = freshCache();
    const { preflight: p } = await preflight({ repo: REPO, revision: null }, opts(cache));
    expect(p.repo).toBe(REPO);
    expect(p.revision).toBe('main');
    expect(p.commit).toBe(hub.commitOf(REPO));
    expect(p.architecture).toBe('phi3');
    expect(p.supported).toBe(true);
    expect(p.license).toBe('mit');
    expect(p.gated).toBe('no');
    const names = p.files.map((f) => f.path).sort();
    expect(names).toEqual(readdirSync(TINY).sort());
    const total = readdirSync(TINY).reduce((s, f) => s + statSync(join(TINY, f)).size, 0);
    expect(p.totalBytes).toBe(total);
    expect(p.downloadBytes).toBe(total);
    const shard = p.files.find((f) => f.path === SHARD)!;
    expect(shard.lfs).toBe(true);
    expect(shard.oid).toBe(sha256(join(TINY, SHARD)));
    // qins8 keeps 8.5 of the 16 bits of the bf16 weights
    const weights = p.files.filter((f) => f.path.endsWith('.safetensors')).reduce((s, f) => s + f.size, 0);
    expect(p.convertedBytes).toBeGreaterThan(weights * 0.5);
    expect(p.convertedBytes).toBeLessThan(weights * 0.6);
    expect(p.cacheFreeBytes).toBeGreaterThan(0);
    expect(p.enoughSpace).toBe(true);
    expect(refusal(p)).toBeNull();
  });

  it('says when the disk is too small, and a download is refused for it', async () => {
    const cache = freshCache();
    const { preflight: p } = await preflight({ repo: REPO, revision: null }, { ...opts(cache), freeSpace: async () => ({ free: 1_000_000, dev: 1 }) });
    expect(p.enoughSpace).toBe(false);
    expect(refusal(p)?.code).toBe('NO_SPACE');
    expect(refusal(p)?.message).toMatch(/needs 0\.05 GB to download/);
  });

  it('refuses a repo without safetensors in one line, and flags an unsupported architecture', async () => {
    await rejects(preflight({ repo: 'qins-test/bin-only', revision: null }, opts(freshCache())), 'UNSUPPORTED', 'has no .safetensors weights (only PyTorch .bin weights)');
    const { preflight: p } = await preflight({ repo: 'qins-test/gpt2-ish', revision: null }, opts(freshCache()));
    expect(p.supported).toBe(false);
    expect(p.reason).toMatch(/model_type "gpt2" is not supported/);
    expect(refusal(p)?.code).toBe('UNSUPPORTED');
  });

  it('404: names the unknown repo, or the unknown revision', async () => {
    await rejects(preflight({ repo: 'qins-test/nope', revision: null }, opts(freshCache())), 'NOT_FOUND', 'qins-test/nope: no such model repository');
    await rejects(preflight({ repo: REPO, revision: 'v9' }, opts(freshCache())), 'NOT_FOUND', `${REPO} has no revision "v9"`);
  });

  it('gated 401 without a token, 403 with the wrong one: accept the license and add a token', async () => {
    await rejects(preflight({ repo: GATED, revision: null }, opts(freshCache())), 'FORBIDDEN', 'is gated', 'accept the license on the model page and add a token');
    await rejects(preflight({ repo: GATED, revision: null }, opts(freshCache(), 'hf_wrong')), 'FORBIDDEN', 'accept the license');
    const { preflight: p } = await preflight({ repo: GATED, revision: null }, opts(freshCache(), TOKEN));
    expect(p.gated).toBe('manual');
    expect(p.hasToken).toBe(true);
  });
});

describe('download into the Hugging Face cache', () => {
  it('writes blobs, relative snapshot symlinks and refs/main; a second pull downloads nothing', async () => {
    const cache = freshCache();
    const { remote } = await preflight({ repo: REPO, revision: null }, opts(cache));
    const progress: number[] = [];
    const { dir, existed } = await pullSnapshot(remote, { client: client(), cacheDir: cache, signal: ac().signal, retry: FAST, onProgress: (p) => progress.push(p.bytesDone) });
    expect(existed).toBe(false);
    const repoDir = repoFolder(cache, REPO);
    expect(repoDir).toBe(join(cache, 'models--qins-test--tiny-phi3-chat'));
    expect(dir).toBe(join(repoDir, 'snapshots', hub.commitOf(REPO)));
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(hub.commitOf(REPO));
    for (const f of readdirSync(TINY)) {
      const link = join(dir, f);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(`../../blobs/${hub.fileOf(REPO, f).oid}`);
      expect(readFileSync(link).equals(readFileSync(join(TINY, f)))).toBe(true);
    }
    expect(readdirSync(join(repoDir, 'blobs')).filter((b) => b.endsWith('.incomplete'))).toEqual([]);
    expect(progress.at(-1)).toBe(remote.files.reduce((s, f) => s + f.size, 0));

    const again = await preflight({ repo: REPO, revision: null }, opts(cache));
    expect(again.preflight.downloadBytes).toBe(0);
    expect(again.preflight.files.every((f) => f.cached)).toBe(true);
    const before = hub.requests.length;
    await pullSnapshot(again.remote, { client: client(), cacheDir: cache, signal: ac().signal, retry: FAST });
    expect(hub.requests.slice(before)).toEqual([]);
  });

  it('a connection dropped mid-file is resumed with a Range request and the file verifies', async () => {
    const cache = freshCache();
    const { remote } = await preflight({ repo: REPO, revision: null }, opts(cache));
    hub.fault(REPO, SHARD, { dropAfter: 3_000_000 });
    const before = hub.requests.length;
    const { dir } = await pullSnapshot(remote, { client: client(), cacheDir: cache, signal: ac().signal, retry: FAST });
    const oid = hub.fileOf(REPO, SHARD).oid;
    const ranged = hub.requests.slice(before).filter((r) => r.url === `/cdn/${hub.commitOf(REPO)}/${oid}` && r.range);
    expect(ranged.length).toBe(1);
    const from = Number(/^bytes=(\d+)-$/.exec(ranged[0]!.range!)![1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(3_000_000);
    expect(ranged[0]!.status).toBe(206);
    expect(sha256(join(dir, SHARD))).toBe(oid);
  });

  it('a wrong checksum deletes the file and says so; nothing becomes a snapshot', async () => {
    const cache = freshCache();
    const { remote } = await preflight({ repo: REPO, revision: null }, opts(cache));
    hub.fault(REPO, SHARD, { corrupt: true });
    await rejects(pullSnapshot(remote, { client: client(), cacheDir: cache, signal: ac().signal, retry: FAST }), 'BAD_INPUT', `${SHARD}: checksum mismatch`, 'was deleted');
    const repoDir = repoFolder(cache, REPO);
    const oid = hub.fileOf(REPO, SHARD).oid;
    expect(existsSync(join(repoDir, 'blobs', oid))).toBe(false);
    expect(existsSync(join(repoDir, 'blobs', `${oid}.incomplete`))).toBe(false);
    expect(existsSync(join(repoDir, 'snapshots'))).toBe(false);
    expect(existsSync(join(repoDir, 'refs'))).toBe(false);
  });

  it('429 waits for Retry-After and goes on; a 500 is retried', async () => {
    const cache = freshCache();
    const { remote } = await preflight({ repo: REPO, revision: null }, opts(cache));
    hub.fault(REPO, 'tokenizer.json', { throttle: { times: 1, retryAfter: 1 } });
    hub.fault(REPO, SHARD, { serverError: { times: 2 } });
    const t0 = Date.now();
    const { dir } = await pullSnapshot(remote, { client: client(), cacheDir: cache, signal: ac().signal, retry: FAST });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(hub.requests.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(1);
    expect(readFileSync(join(dir, 'tokenizer.json')).equals(readFileSync(join(TINY, 'tokenizer.json')))).toBe(true);
  });

  it('gated: downloading with the right token works; files without it get the license hint', async () => {
    const cache = freshCache();
    const { remote } = await preflight({ repo: GATED, revision: null }, opts(cache, TOKEN));
    await rejects(pullSnapshot(remote, { client: client(null), cacheDir: cache, signal: ac().signal, retry: FAST }), 'FORBIDDEN', 'accept the license');
    const { dir } = await pullSnapshot(remote, { client: client(TOKEN), cacheDir: cache, signal: ac().signal, retry: FAST });
    expect(existsSync(join(dir, SHARD))).toBe(true);
  });

  it('a full disk stops cleanly with NO_SPACE, keeps the partial file, and the next pull resumes it', async () => {
    const cache = freshCache();
    const { remote } = await preflight({ repo: REPO, revision: null }, opts(cache));
    let written = 0;
    const fullAt = 20_000_000;
    const tiny: OpenSink = async (path) => {
      const { open } = await import('node:fs/promises');
      const fh = await open(path, 'a');
      return {
        write: async (chunk) => {
          if (written + chunk.length > fullAt) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          written += chunk.length;
          await fh.write(chunk);
        },
        close: () => fh.close(),
      };
    };
    await rejects(pullSnapshot(remote, { client: client(), cacheDir: cache, signal: ac().signal, retry: FAST, openSink: tiny }), 'NO_SPACE', 'the disk is full', 'resume');
    const repoDir = repoFolder(cache, REPO);
    const partial = readdirSync(join(repoDir, 'blobs')).filter((b) => b.endsWith('.incomplete'));
    expect(partial.length).toBe(1);
    expect(existsSync(join(repoDir, 'snapshots'))).toBe(false);
    const before = hub.requests.length;
    const { dir } = await pullSnapshot(remote, { client: client(), cacheDir: cache, signal: ac().signal, retry: FAST });
    expect(hub.requests.slice(before).some((r) => r.range && /^bytes=[1-9]\d*-$/.test(r.range))).toBe(true);
    for (const f of readdirSync(TINY)) expect(readFileSync(join(dir, f)).equals(readFileSync(join(TINY, f)))).toBe(true);
  });

  it.skipIf(!canMountTmpfs())('a real full disk (a 20 MB tmpfs as the cache): NO_SPACE, the partial file kept, no snapshot', async () => {
    const cache = freshCache();
    mkdirSync(cache, { recursive: true });
    const unmount = mountTmpfs(cache, '20m');
    try {
      const { remote } = await preflight({ repo: REPO, revision: null }, opts(cache));
      await rejects(pullSnapshot(remote, { client: client(), cacheDir: cache, signal: ac().signal, retry: FAST }), 'NO_SPACE', 'the disk is full while downloading');
      const blobs = readdirSync(join(repoFolder(cache, REPO), 'blobs'));
      expect(blobs.filter((b) => b.endsWith('.incomplete'))).toHaveLength(1);
      expect(existsSync(join(repoFolder(cache, REPO), 'snapshots'))).toBe(false);
    } finally {
      unmount();
    }
  });

  it('cancelling stops at once with CANCELLED and presents nothing as a checkpoint', async () => {
    const cache = freshCache();
    const { remote } = await preflight({ repo: REPO, revision: null }, opts(cache));
    hub.fault(REPO, 'model-00001-of-00004.safetensors', { bytesPerSecond: 2_000_000 });
    const c = ac();
    const p = pullSnapshot(remote, {
      client: client(),
      cacheDir: cache,
      signal: c.signal,
      retry: FAST,
      onProgress: (x) => {
        if (x.bytesDone > 500_000) c.abort();
      },
    });
    await rejects(p, 'CANCELLED');
    expect(existsSync(join(repoFolder(cache, REPO), 'snapshots'))).toBe(false);
  });

  it('the token goes to the hub only: a redirect to another origin (the CDN) does not carry it', async () => {
    const body = Buffer.from('hello weights');
    const seen: Array<string | undefined> = [];
    const cdn = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.end(body);
    });
    await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', r));
    const cdnPort = (cdn.address() as AddressInfo).port;
    const origin = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(302, { Location: `http://localhost:${cdnPort}/blob` }); // another origin
      res.end();
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    try {
      const dir = freshCache();
      const oid = createHash('sha256').update(body).digest('hex');
      await downloadBlob({
        url: `http://127.0.0.1:${(origin.address() as AddressInfo).port}/org/name/resolve/main/w.safetensors`,
        token: 'hf_secret12345',
        file: { path: 'w.safetensors', size: body.length, oid, lfs: true },
        blob: join(dir, 'blob'),
        target: { repo: 'org/name', revision: 'main' },
        signal: ac().signal,
        retry: FAST,
      });
      expect(seen).toEqual(['Bearer hf_secret12345', undefined]);
      expect(readFileSync(join(dir, 'blob')).equals(body)).toBe(true);
    } finally {
      cdn.close();
      origin.close();
    }
  });

  it('gives up after the retries with a network error naming the repo', async () => {
    const dead: HubClient = { endpoint: 'http://127.0.0.1:9', token: null };
    await rejects(preflight({ repo: REPO, revision: null }, { ...opts(freshCache()), client: dead }), 'NETWORK', `cannot reach the hub for ${REPO}`);
  });
});
