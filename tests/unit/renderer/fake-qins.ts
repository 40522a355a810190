// A stand-in for `window.qins` in component tests: handlers per channel, recorded calls, and
// events pushed by the test.
import { toError } from '../../../src-shared/api';
import type { EventChannel, EventOf, QinsApi, RequestChannel } from '../../../src-shared/contract';

type Handler = (payload: never) => unknown;

export const calls: Array<{ channel: RequestChannel; payload: unknown }> = [];
const handlers = new Map<RequestChannel, Handler>();
const listeners = new Map<EventChannel, Set<(p: never) => void>>();

export const fakeQins: QinsApi = {
  transport: 'web',
  async invoke(channel, payload) {
    calls.push({ channel, payload });
    const h = handlers.get(channel);
    if (!h) throw toError({ code: 'UNKNOWN_CHANNEL', message: `no fake handler for ${channel}` });
    return (await h(payload as never)) as never;
  },
  on(event, listener) {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener as (p: never) => void);
    return () => set.delete(listener as (p: never) => void);
  },
};

export function handle<C extends RequestChannel>(channel: C, fn: (payload: never) => unknown): void {
  handlers.set(channel, fn as Handler);
}

/** A handler that fails like the main process does. */
export function fail<C extends RequestChannel>(channel: C, code: Parameters<typeof toError>[0]['code'], message: string): void {
  handlers.set(channel, () => {
    throw toError({ code, message });
  });
}

export function emit<E extends EventChannel>(event: E, payload: EventOf<E>): void {
  for (const l of listeners.get(event) ?? []) l(payload as never);
}

export function callsOf(channel: RequestChannel): unknown[] {
  return calls.filter((c) => c.channel === channel).map((c) => c.payload);
}

export function resetFake(): void {
  calls.length = 0;
  handlers.clear();
  listeners.clear();
}
