import { describe, expect, it } from 'vitest';
import { GenerationQueue } from '../../../src-main/core/generation-queue.js';

const deferred = () => {
  let resolve!: (v: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  return { promise, resolve };
};

describe('GenerationQueue', () => {
  it('runs one job at a time, in order', async () => {
    const q = new GenerationQueue();
    const order: string[] = [];
    const a = deferred();
    const pa = q.submit({ jobId: 'a', run: async () => (order.push('a start'), await a.promise) });
    const pb = q.submit({ jobId: 'b', run: async () => (order.push('b start'), 'b') });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a start']);
    expect(q.activeJobId).toBe('a');
    a.resolve('a');
    expect(await pa).toBe('a');
    expect(await pb).toBe('b');
    expect(order).toEqual(['a start', 'b start']);
    expect(q.length).toBe(0);
  });

  it('refuses with BUSY beyond the bound and reports queue positions', async () => {
    const q = new GenerationQueue(2);
    const a = deferred();
    const positions: Record<string, number[]> = { b: [], c: [] };
    const pa = q.submit({ jobId: 'a', run: () => a.promise });
    const pb = q.submit({ jobId: 'b', run: async () => 'b', onQueued: (p) => positions.b!.push(p) });
    const pc = q.submit({ jobId: 'c', run: async () => 'c', onQueued: (p) => positions.c!.push(p) });
    await expect(q.submit({ jobId: 'd', run: async () => 'd' })).rejects.toMatchObject({ code: 'BUSY' });
    a.resolve('a');
    await Promise.all([pa, pb, pc]);
    expect(positions.b).toEqual([1]);
    expect(positions.c).toEqual([2, 1]);
  });

  it('cancels a waiting job without running it, and signals a running one', async () => {
    const q = new GenerationQueue();
    let ranB = false;
    let sawAbort = false;
    const pa = q.submit({
      jobId: 'a',
      run: (signal) =>
        new Promise<string>((resolve) => {
          signal.addEventListener('abort', () => {
            sawAbort = true;
            resolve('stopped');
          });
        }),
    });
    const pb = q.submit({ jobId: 'b', run: async () => ((ranB = true), 'b') });
    expect(q.cancel('b')).toBe(true);
    await expect(pb).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(q.cancel('a')).toBe(true);
    expect(await pa).toBe('stopped');
    expect(sawAbort).toBe(true);
    expect(ranB).toBe(false);
    expect(q.cancel('zzz')).toBe(false);
  });

  it('keeps going after a job fails', async () => {
    const q = new GenerationQueue();
    const pa = q.submit({ jobId: 'a', run: async () => Promise.reject(new Error('boom')) });
    const pb = q.submit({ jobId: 'b', run: async () => 'b' });
    await expect(pa).rejects.toThrow('boom');
    expect(await pb).toBe('b');
  });
});
