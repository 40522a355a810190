// What a user may paste as a Hugging Face repo (src-shared/hub.ts parseRepoRef, used by the UI and
// the main process alike).
import { describe, expect, it } from 'vitest';
import { formatRepoRef, parseRepoRef } from '../../../src-shared/hub.js';

describe('parseRepoRef', () => {
  it.each([
    ['microsoft/Phi-3.5-mini-instruct', 'microsoft/Phi-3.5-mini-instruct', null],
    ['  Qwen/Qwen2.5-0.5B-Instruct  ', 'Qwen/Qwen2.5-0.5B-Instruct', null],
    ['org/name@v1.0', 'org/name', 'v1.0'],
    ['org/name@refs/pr/3', 'org/name', 'refs/pr/3'],
    ['org/name@0123456789abcdef0123456789abcdef01234567', 'org/name', '0123456789abcdef0123456789abcdef01234567'],
    ['gpt2', 'gpt2', null],
    ['https://huggingface.co/microsoft/Phi-3.5-mini-instruct', 'microsoft/Phi-3.5-mini-instruct', null],
    ['https://huggingface.co/microsoft/Phi-3.5-mini-instruct/', 'microsoft/Phi-3.5-mini-instruct', null],
    ['https://huggingface.co/meta-llama/Llama-3.2-1B-Instruct/tree/main', 'meta-llama/Llama-3.2-1B-Instruct', 'main'],
    ['https://huggingface.co/org/name/blob/dev/config.json', 'org/name', 'dev'],
    ['huggingface.co/org/name', 'org/name', null],
    ['hf.co/org/name?library=transformers', 'org/name', null],
  ])('%s', (input, repo, revision) => {
    expect(parseRepoRef(input)).toEqual({ repo, revision });
  });

  it.each([
    ['', /enter a repository id/],
    ['a/b/c', /not a repository id/],
    ['org/na me', /not a repository id/],
    ['org/name@', /nothing after @/],
    ['org/--name', /not a repository id/],
    ['org/../x', /not a repository id/],
    ['org/name@../../etc', /not a valid revision/],
    ['https://example.com/org/name', /example.com is not the Hugging Face Hub/],
    ['https://huggingface.co/datasets/org/name', /dataset, not a model repository/],
    ['https://huggingface.co/spaces/org/name', /Space, not a model repository/],
    ['ftp://huggingface.co/org/name', /only http\(s\)/],
    ['https://huggingface.co/org/name/tree/', /names no revision/],
  ])('refuses %s', (input, message) => {
    expect(() => parseRepoRef(input)).toThrow(message);
  });

  it('formats back', () => {
    expect(formatRepoRef({ repo: 'a/b', revision: null })).toBe('a/b');
    expect(formatRepoRef({ repo: 'a/b', revision: 'dev' })).toBe('a/b@dev');
  });
});

describe('Hugging Face environment', () => {
  it('finds the cache, the endpoint and the token the way huggingface_hub does', async () => {
    const { hubCacheDir, hubEndpoint, resolveToken } = await import('../../../src-main/core/hub/env.js');
    const { homedir } = await import('node:os');
    const { join } = await import('node:path');
    expect(hubCacheDir({ HF_HUB_CACHE: '/x/hub' })).toBe('/x/hub');
    expect(hubCacheDir({ HF_HOME: '/h' })).toBe(join('/h', 'hub'));
    expect(hubCacheDir({ XDG_CACHE_HOME: '/c' })).toBe(join('/c', 'huggingface', 'hub'));
    expect(hubCacheDir({ HF_HUB_CACHE: '' })).toBe(join(homedir(), '.cache', 'huggingface', 'hub'));
    expect(hubEndpoint({})).toBe('https://huggingface.co');
    expect(hubEndpoint({ HF_ENDPOINT: 'http://127.0.0.1:5000/' })).toBe('http://127.0.0.1:5000');
    expect(resolveToken(null, { HF_TOKEN: ' hf_x ', HF_HOME: '/nonexistent' })).toEqual({ token: 'hf_x', source: 'env' });
    expect(resolveToken(null, { HF_HOME: '/nonexistent' })).toBeNull();
  });
});

describe('download speed', () => {
  it('averages over the last seconds and never reports a short window as a burst', async () => {
    const { SpeedMeter } = await import('../../../src-main/core/hub/pull.js');
    const m = new SpeedMeter();
    expect(m.sample(0, 0)).toBe(0);
    expect(m.sample(100_000, 5)).toBe(100_000); // 100 KB within 5 ms: counted over a second
    expect(m.sample(2_000_000, 1000)).toBe(2_000_000);
    expect(m.sample(4_000_000, 2000)).toBe(2_000_000);
    for (let t = 3000; t <= 9000; t += 1000) m.sample(4_000_000 + (t - 2000) * 1000, t); // 1 MB/s from 2 s on
    expect(m.sample(12_000_000, 10_000)).toBe(1_000_000);
  });
});
