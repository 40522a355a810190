import { describe, expect, it, vi } from 'vitest';
import { IPC_EVENT, IPC_INVOKE, type QinsApi } from '../../../src-shared/contract.js';
import { errorOf } from '../../../src-shared/api.js';

vi.mock('electron', () => import('./fake-electron.js'));
const fake = await import('./fake-electron.js');
await import('../../../src-preload/bridge.js');

describe('preload bridge', () => {
  const api = fake.contextBridge.exposed.get('qins') as QinsApi;

  it('exposes exactly window.qins with invoke, on, pathForFile and transport', () => {
    expect([...fake.contextBridge.exposed.keys()]).toEqual(['qins']);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on', 'pathForFile', 'transport']);
    expect(api.transport).toBe('electron');
  });

  it('sends requests over the invoke channel and unwraps replies', async () => {
    fake.ipcRenderer.reply = (m: { id: number }) => ({ id: m.id, ok: true, result: { state: 'ready' } });
    await expect(api.invoke('engine.status', {})).resolves.toEqual({ state: 'ready' });
    expect(fake.ipcRenderer.invoked.at(-1)?.[0]).toBe(IPC_INVOKE);
  });

  it('rejects with an error whose code survives the context bridge', async () => {
    fake.ipcRenderer.reply = (m: { id: number }) => ({ id: m.id, ok: false, error: { code: 'ENGINE_CRASHED', message: 'the engine host was killed' } });
    const err = await api.invoke('engine.ping', {}).catch((e: unknown) => e);
    // what the renderer sees after contextBridge copied the Error: only the message
    expect(errorOf(new Error((err as Error).message))).toEqual({ code: 'ENGINE_CRASHED', message: 'the engine host was killed' });
  });

  it('refuses channels that are not in the contract', async () => {
    await expect(api.invoke('shell.exec' as 'app.info', {})).rejects.toThrow(/UNKNOWN_CHANNEL/);
    expect(() => api.on('secret.event' as 'engine.status', () => undefined)).toThrow(/UNKNOWN_CHANNEL/);
  });

  it('delivers contract events to listeners and ignores unknown ones', () => {
    const seen: unknown[] = [];
    const off = api.on('engine.status', (s) => seen.push(s));
    const deliver = fake.ipcRenderer.listeners.get(IPC_EVENT)!;
    deliver({}, { event: 'engine.status', payload: { state: 'ready' } });
    deliver({}, { event: 'bogus', payload: 1 });
    off();
    deliver({}, { event: 'engine.status', payload: { state: 'crashed' } });
    expect(seen).toEqual([{ state: 'ready' }]);
  });
});
