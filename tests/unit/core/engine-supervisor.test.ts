import { afterEach, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../../src-shared/contract.js';
import { EngineSupervisor, forkLauncher } from '../../../src-main/core/engine-supervisor.js';
import { builtEngineHost } from '../helpers/built.js';

let supervisor: EngineSupervisor | undefined;
afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
});

const waitFor = (s: EngineSupervisor, pred: (st: EngineStatus) => boolean, ms = 10_000) =>
  new Promise<EngineStatus>((resolve, reject) => {
    if (pred(s.status())) return resolve(s.status());
    const timer = setTimeout(() => reject(new Error(`timeout; last status ${JSON.stringify(s.status())}`)), ms);
    s.on('status', (st) => {
      if (pred(st)) {
        clearTimeout(timer);
        resolve(st);
      }
    });
  });

describe('engine supervisor with the real engine host process', () => {
  it('starts the host, answers ping and memory with the child pid', async () => {
    supervisor = new EngineSupervisor(forkLauncher(builtEngineHost()));
    await supervisor.start();
    const st = supervisor.status();
    expect(st.state).toBe('ready');
    expect(st.pid).not.toBe(process.pid);
    const pong = await supervisor.call('ping', {});
    expect(pong.pid).toBe(st.pid);
    const mem = await supervisor.call('memory', {});
    expect(mem.pid).toBe(st.pid);
    expect(mem.rss).toBeGreaterThan(10 * 1024 * 1024);
  });

  it('restarts the host after SIGKILL, reports it, and fails the call in flight', async () => {
    supervisor = new EngineSupervisor(forkLauncher(builtEngineHost()), { backoffMs: 50 });
    const seen: EngineStatus[] = [];
    supervisor.on('status', (s) => seen.push(s));
    await supervisor.start();
    const firstPid = supervisor.status().pid!;
    process.kill(firstPid, 'SIGKILL');
    await waitFor(supervisor, (s) => s.state === 'crashed');
    const crashed = seen.find((s) => s.state === 'crashed');
    expect(crashed?.lastError).toMatch(/SIGKILL/);
    const ready = await waitFor(supervisor, (s) => s.state === 'ready' && s.pid !== firstPid);
    expect(ready.restarts).toBe(1);
    const pong = await supervisor.call('ping', {});
    expect(pong.pid).toBe(ready.pid);
  });

  it('a start() during the restart backoff spawns one host, and the pending restart does not spawn another', async () => {
    let spawned = 0;
    const launch = forkLauncher(builtEngineHost());
    supervisor = new EngineSupervisor(() => (spawned++, launch()), { backoffMs: 1500 });
    await supervisor.start();
    const firstPid = supervisor.status().pid!;
    process.kill(firstPid, 'SIGKILL');
    await waitFor(supervisor, (s) => s.state === 'crashed');
    await supervisor.start(); // e.g. a request that needs the model again
    const second = supervisor.status();
    expect(second).toMatchObject({ state: 'ready', restarts: 1 });
    await new Promise((r) => setTimeout(r, 2000)); // past the backoff
    expect(spawned).toBe(2);
    expect(supervisor.status()).toMatchObject({ state: 'ready', pid: second.pid, restarts: 1 });
    expect((await supervisor.call('ping', {})).pid).toBe(second.pid);
  });

  it('rejects calls with ENGINE_UNAVAILABLE when it was never started', async () => {
    supervisor = new EngineSupervisor(forkLauncher(builtEngineHost()));
    await expect(supervisor.call('ping', {})).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE' });
  });

  it('answers an unknown method with an error instead of hanging', async () => {
    supervisor = new EngineSupervisor(forkLauncher(builtEngineHost()));
    await supervisor.start();
    await expect(supervisor.call('nope' as 'ping', {})).rejects.toMatchObject({ code: 'UNKNOWN_CHANNEL' });
  });
});

describe('engine supervisor with a fake launcher', () => {
  it('fails pending calls with ENGINE_CRASHED when the host dies mid-call', async () => {
    let exit: ((code: number | null, signal: string | null) => void) | undefined;
    supervisor = new EngineSupervisor(
      () => ({
        pid: 4242,
        send: () => undefined, // never answers
        onMessage: (l) => {
          queueMicrotask(() => l({ kind: 'ready', pid: 4242 }));
        },
        onExit: (l) => {
          exit = l;
        },
        kill: () => exit?.(null, 'SIGKILL'),
      }),
      { backoffMs: 10_000 },
    );
    await supervisor.start();
    const call = supervisor.call('ping', {});
    await new Promise((r) => setImmediate(r)); // the request is now in flight
    exit?.(null, 'SIGKILL');
    await expect(call).rejects.toMatchObject({ code: 'ENGINE_CRASHED' });
    expect(supervisor.status().state).toBe('crashed');
  });
});
