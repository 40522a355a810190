// Download jobs (src-main/core/hub/service.ts) against the mock hub, with a stand-in for the library:
// progress events, pause and resume (also after a restart), cancel, the checkpoint kept or deleted
// after conversion, a failed conversion, the token rules, and converting a cache snapshot in place.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Codec } from '../../../src-shared/codecs.js';
import type { ConvertEvent, ConvertJob, HubJob } from '../../../src-shared/contract.js';
import type { TokenStore } from '../../../src-main/core/hub/env.js';
import { type Importer, HubService } from '../../../src-main/core/hub/service.js';
import type { ImportOptions } from '../../../src-main/core/library-imports.js';
import { type MockHub, startMockHub } from '../../mock-hub/mock-hub.js';
import { repoRoot } from '../helpers/built.js';

const TINY = join(repoRoot, 'assets', 'models', 'tiny-phi3-chat');
const REPO = 'qins-test/tiny-phi3-chat';
const SHARD1 = 'model-00001-of-00004.safetensors';
const FAST = { attempts: 3, baseMs: 10, maxMs: 50, maxRetryAfterMs: 5000 };

let hub: MockHub;
let scratch: string;
beforeAll(async () => {
  hub = await startMockHub([{ id: REPO, dir: TINY, license: 'mit' }]);
  scratch = mkdtempSync(join(tmpdir(), 'qins-hubsvc-'));
});
afterAll(async () => {
  await hub?.close();
  rmSync(scratch, { recursive: true, force: true });
});
afterEach(() => hub.clearFaults());

/** The library's part: records what it was asked to convert and answers as told. */
class FakeImporter implements Importer {
  calls: Array<{ source: string; codec: Codec; name?: string }> = [];
  outcome: 'done' | 'error' = 'done';
  async import(source: string, codec: Codec, options: ImportOptions): Promise<ConvertJob> {
    this.calls.push({ source, codec, name: options.name });
    const jobId = `convert-${this.calls.length}`;
    const ev: Extract<ConvertEvent, { type: 'done' | 'error' }> =
      this.outcome === 'done'
        ? ({ jobId, type: 'done', model: { id: `${options.name}-${codec}` } } as never)
        : { jobId, type: 'error', error: { code: 'BAD_INPUT', message: 'model-00002-of-00004.safetensors: truncated' } };
    setTimeout(() => options.onOutcome?.(ev), 20);
    return { jobId, source, kind: 'convert', codec, progress: null, builtin: false, name: options.name };
  }
  async cancelImport(): Promise<boolean> {
    return true;
  }
}

let n = 0;
function setup(extra: { tokenStore?: TokenStore; env?: NodeJS.ProcessEnv } = {}) {
  const dir = join(scratch, `s${++n}`);
  const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: join(dir, 'hf-cache'), HF_HOME: join(dir, 'hf-home'), ...extra.env };
  const events: HubJob[] = [];
  const importer = new FakeImporter();
  const make = () =>
    new HubService({ importer, broadcast: ((ch: string, p: HubJob) => ch === 'hub.event' && events.push(p)) as never, dataDir: join(dir, 'data'), modelsDir: join(dir, 'data', 'models'), env, retry: FAST, tokenStore: extra.tokenStore });
  return { dir, env, events, importer, make, svc: make() };
}

async function until(pred: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
}
const last = (events: HubJob[], jobId: string) => events.filter((e) => e.jobId === jobId).at(-1);

describe('download jobs', () => {
  it('downloads with progress, converts the snapshot, and deletes the checkpoint when asked', async () => {
    const { svc, events, importer, env } = setup();
    const job = await svc.download(`https://huggingface.co/${REPO}`, 'qins4', false);
    expect(job).toMatchObject({ repo: REPO, revision: 'main', commit: hub.commitOf(REPO), codec: 'qins4', keepCheckpoint: false });
    await until(() => last(events, job.jobId)?.state === 'done');
    const states = [...new Set(events.filter((e) => e.jobId === job.jobId).map((e) => e.state))];
    expect(states).toEqual(['queued', 'downloading', 'converting', 'done']);
    const progress = events.filter((e) => e.state === 'downloading').map((e) => e.progress);
    expect(progress.some((p) => p.file === SHARD1)).toBe(true);
    expect(progress.at(-1)!.bytesDone).toBe(progress.at(-1)!.bytesTotal);
    expect(importer.calls).toEqual([{ source: join(env.HF_HUB_CACHE, 'models--qins-test--tiny-phi3-chat', 'snapshots', hub.commitOf(REPO)), codec: 'qins4', name: 'tiny-phi3-chat' }]);
    expect(last(events, job.jobId)!.modelId).toBe('tiny-phi3-chat-qins4');
    // keepCheckpoint false: the snapshot this job made is gone again, with its blobs
    expect(existsSync(join(env.HF_HUB_CACHE, 'models--qins-test--tiny-phi3-chat'))).toBe(false);
  });

  it('keeps the checkpoint when asked; a failed conversion keeps it too and can be retried', async () => {
    const { svc, events, importer, env } = setup();
    importer.outcome = 'error';
    const job = await svc.download(`${REPO}@main`, 'qins8', true);
    await until(() => last(events, job.jobId)?.state === 'failed');
    expect(last(events, job.jobId)!.error).toMatchObject({ code: 'BAD_INPUT' });
    const snap = join(env.HF_HUB_CACHE, 'models--qins-test--tiny-phi3-chat', 'snapshots', hub.commitOf(REPO));
    expect(readdirSync(snap).sort()).toEqual(readdirSync(TINY).sort());
    importer.outcome = 'done';
    const before = hub.requests.length;
    svc.resume(job.jobId);
    await until(() => last(events, job.jobId)?.state === 'done');
    expect(hub.requests.slice(before).filter((r) => r.url.includes('/cdn/'))).toEqual([]); // nothing downloaded again
    expect(existsSync(snap)).toBe(true);
  });

  it('pauses and resumes where it stopped, also after a restart', async () => {
    const s = setup();
    hub.fault(REPO, SHARD1, { bytesPerSecond: 4_000_000 });
    const job = await s.svc.download(REPO, 'qins8', true);
    await until(() => (last(s.events, job.jobId)?.progress.bytesDone ?? 0) > 2_000_000);
    s.svc.pause(job.jobId);
    await until(() => last(s.events, job.jobId)?.state === 'paused');
    const partial = readdirSync(join(s.env.HF_HUB_CACHE, 'models--qins-test--tiny-phi3-chat', 'blobs')).filter((f) => f.endsWith('.incomplete'));
    expect(partial).toHaveLength(1);
    await s.svc.stop();

    // a new process: the job is listed as paused and resumes with a Range request
    hub.clearFaults();
    hub.fault(REPO, SHARD1, { bytesPerSecond: 2_000_000 });
    const again = s.make();
    const listed = again.list();
    expect(listed.map((j) => [j.jobId, j.state])).toEqual([[job.jobId, 'paused']]);
    expect(listed[0]!.progress.bytesDone).toBeGreaterThan(2_000_000);
    const before = hub.requests.length;
    again.resume(job.jobId);
    await until(() => last(s.events, job.jobId)?.state === 'done');
    const ranged = hub.requests.slice(before).filter((r) => r.url.includes('/cdn/') && r.range);
    expect(ranged).toHaveLength(1);
    expect(Number(/bytes=(\d+)-/.exec(ranged[0]!.range!)![1])).toBeGreaterThan(2_000_000);
    // the speed counts what arrived, not the part that was already on disk
    const resumed = s.events.filter((e) => e.jobId === job.jobId && e.state === 'downloading' && e.progress.file === SHARD1);
    expect(Math.max(...resumed.map((e) => e.progress.bytesPerSecond))).toBeLessThan(6_000_000);
    expect(again.dismiss(job.jobId)).toBe(true);
    await again.stop(); // (the list is written when the app stops at the latest)
    expect(s.make().list()).toEqual([]);
  });

  it('cancelling a download paused before a restart removes its partial file', async () => {
    const s = setup();
    hub.fault(REPO, SHARD1, { bytesPerSecond: 4_000_000 });
    const job = await s.svc.download(REPO, 'qins8', true);
    await until(() => (last(s.events, job.jobId)?.progress.bytesDone ?? 0) > 1_000_000);
    await s.svc.stop(); // the app quits mid-download
    const blobs = join(s.env.HF_HUB_CACHE, 'models--qins-test--tiny-phi3-chat', 'blobs');
    expect(readdirSync(blobs).filter((f) => f.endsWith('.incomplete'))).toHaveLength(1);
    const again = s.make();
    expect(again.list()[0]!.state).toBe('paused');
    expect(await again.cancel(job.jobId)).toBe(true);
    expect(again.list()[0]!.state).toBe('cancelled');
    expect(readdirSync(blobs).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
  });

  it('cancel stops the download and removes its partial file; nothing is converted', async () => {
    const s = setup();
    hub.fault(REPO, SHARD1, { bytesPerSecond: 2_000_000 });
    const job = await s.svc.download(REPO, 'qins8', true);
    await until(() => (last(s.events, job.jobId)?.progress.bytesDone ?? 0) > 500_000);
    expect(await s.svc.cancel(job.jobId)).toBe(true);
    expect(last(s.events, job.jobId)!.state).toBe('cancelled');
    const blobs = join(s.env.HF_HUB_CACHE, 'models--qins-test--tiny-phi3-chat', 'blobs');
    expect(readdirSync(blobs).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
    expect(existsSync(join(s.env.HF_HUB_CACHE, 'models--qins-test--tiny-phi3-chat', 'snapshots'))).toBe(false);
    expect(s.importer.calls).toEqual([]);
    expect(s.svc.resume.bind(s.svc, job.jobId)).toThrow(/cancelled/);
  });

  it('bad references and a second download of the same repo are refused with a reason', async () => {
    const { svc } = setup();
    await expect(svc.download('not a repo', 'qins8', true)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(svc.preflight('https://example.com/org/name', 'qins8')).rejects.toMatchObject({ code: 'BAD_INPUT', message: /not the Hugging Face Hub/ });
    await expect(svc.preflight('qins-test/missing', 'qins8')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    hub.fault(REPO, SHARD1, { bytesPerSecond: 1_000_000 });
    const job = await svc.download(REPO, 'qins8', true);
    await expect(svc.download(REPO, 'qins8', true)).rejects.toMatchObject({ code: 'BUSY' });
    await svc.cancel(job.jobId);
  });
});

describe('token', () => {
  it('HF_TOKEN wins, then the saved token, then the Hugging Face CLI token; saving needs a keychain', async () => {
    let saved: string | null = null;
    const store: TokenStore = { canSave: true, get: () => saved, set: (t) => (saved = t) };
    const s = setup({ tokenStore: store });
    expect(s.svc.tokenStatus()).toEqual({ source: null, canSave: true });
    expect(() => s.svc.setToken('nope')).toThrow(/start with hf_/);
    expect(s.svc.setToken('hf_abcdefgh1234').source).toBe('saved');
    expect(saved).toBe('hf_abcdefgh1234');
    s.svc.setToken(null);
    mkdirSync(s.env.HF_HOME!, { recursive: true });
    writeFileSync(join(s.env.HF_HOME!, 'token'), 'hf_fromthecli123\n');
    expect(s.svc.tokenStatus().source).toBe('huggingface-cli');
    const withEnv = setup({ env: { HF_TOKEN: 'hf_fromenv12345' }, tokenStore: store });
    expect(withEnv.svc.tokenStatus().source).toBe('env');
    const headless = setup();
    expect(headless.svc.tokenStatus().canSave).toBe(false);
    expect(() => headless.svc.setToken('hf_abcdefgh1234')).toThrow(/HF_TOKEN/);
  });
});

describe('the local Hugging Face cache', () => {
  it('lists snapshots made by Python tools (relative symlinks into blobs/) and converts one in place', async () => {
    const s = setup();
    // a cache as huggingface_hub leaves it: blobs, a snapshot of symlinks, refs/main
    const repoDir = join(s.env.HF_HUB_CACHE, 'models--someone--tiny-phi3');
    const commit = 'a'.repeat(40);
    mkdirSync(join(repoDir, 'blobs'), { recursive: true });
    mkdirSync(join(repoDir, 'snapshots', commit), { recursive: true });
    mkdirSync(join(repoDir, 'refs'), { recursive: true });
    writeFileSync(join(repoDir, 'refs', 'main'), commit);
    for (const f of readdirSync(TINY)) {
      const blob = `blob-${f}`;
      symlinkSync(join(TINY, f), join(repoDir, 'blobs', blob)); // (a blob that is itself a link keeps the test light)
      symlinkSync(`../../blobs/${blob}`, join(repoDir, 'snapshots', commit, f));
    }
    // a second repo: only part of its shards arrived
    const partDir = join(s.env.HF_HUB_CACHE, 'models--someone--partial', 'snapshots', 'b'.repeat(40));
    mkdirSync(partDir, { recursive: true });
    for (const f of readdirSync(TINY).filter((x) => x !== 'model-00003-of-00004.safetensors')) symlinkSync(join(TINY, f), join(partDir, f));
    // and things that are no checkpoints: a dataset, a tokenizer-only snapshot
    mkdirSync(join(s.env.HF_HUB_CACHE, 'datasets--x--y', 'snapshots', 'c'.repeat(40)), { recursive: true });
    mkdirSync(join(s.env.HF_HUB_CACHE, 'models--x--tok', 'snapshots', 'd'.repeat(40)), { recursive: true });
    writeFileSync(join(s.env.HF_HUB_CACHE, 'models--x--tok', 'snapshots', 'd'.repeat(40), 'tokenizer.json'), '{}');

    const { cacheDir, entries } = await s.svc.cache();
    expect(cacheDir).toBe(s.env.HF_HUB_CACHE);
    expect(entries.map((e) => e.repo)).toEqual(['someone/partial', 'someone/tiny-phi3']);
    const [partial, full] = entries;
    expect(full).toMatchObject({ commit, refs: ['main'], architecture: 'phi3', supported: true, reason: null, path: join(repoDir, 'snapshots', commit) });
    const weights = readdirSync(TINY).filter((f) => f.endsWith('.safetensors')).length;
    expect(weights).toBe(4);
    expect(full!.weightBytes).toBeGreaterThan(40_000_000);
    expect(partial).toMatchObject({ supported: false, refs: [] });
    expect(partial!.reason).toMatch(/model-00003-of-00004.safetensors is not in the cache/);

    const job = await s.svc.convertCached(full!.path, 'q8');
    expect(job.name).toBe('tiny-phi3');
    expect(s.importer.calls).toEqual([{ source: full!.path, codec: 'q8', name: 'tiny-phi3' }]);
    await expect(s.svc.convertCached(partial!.path, 'q8')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(s.svc.convertCached(TINY, 'q8')).rejects.toMatchObject({ code: 'BAD_INPUT', message: /not a snapshot folder of the Hugging Face cache/ });
    expect(s.importer.calls).toHaveLength(1);
  });

  it('an absent cache is an empty list', async () => {
    const { svc, env } = setup();
    expect(await svc.cache()).toEqual({ cacheDir: env.HF_HUB_CACHE, entries: [] });
  });
});
