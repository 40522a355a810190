// Builds `window.qins` (QinsApi) from a transport: Electron IPC in the preload bridge, a WebSocket
// in the browser shim. Both speak the contract's envelopes; this is the one place that turns
// replies into resolved values or errors.
import {
  type ErrorCode,
  type EventChannel,
  type EventMessage,
  type InvokeMessage,
  type QinsApi,
  type QinsErrorShape,
  type ReplyMessage,
  ErrorCode as ErrorCodeSchema,
  isEventChannel,
  isRequestChannel,
} from './contract.js';

export interface Transport {
  /** Sends one request and resolves with its reply (never rejects for application errors). */
  request(message: InvokeMessage): Promise<ReplyMessage>;
  /** Delivers every event message pushed by the main process. */
  listen(listener: (message: EventMessage) => void): void;
}

/**
 * Errors crossing Electron's contextBridge keep only their message, so the code is carried in it:
 * "ENGINE_CRASHED: the engine host …". `errorOf` recovers `{code, message}` on the UI side.
 */
export function toError(shape: QinsErrorShape): Error {
  return Object.assign(new Error(`${shape.code}: ${shape.message}`), { code: shape.code });
}

export function errorOf(e: unknown): QinsErrorShape {
  const raw = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown })?.code;
  // Electron prefixes errors from invoke with "Error invoking remote method …: Error: ".
  const m = /([A-Z_]{3,}): ([\s\S]*)$/.exec(raw);
  const parsedCode = ErrorCodeSchema.safeParse(typeof code === 'string' ? code : m?.[1]);
  if (parsedCode.success) {
    const message = m && m[1] === parsedCode.data ? m[2] ?? raw : raw;
    return { code: parsedCode.data as ErrorCode, message };
  }
  return { code: 'INTERNAL', message: raw };
}

export function createApi(transport: Transport, kind: QinsApi['transport']): QinsApi {
  let nextId = 1;
  const listeners = new Map<EventChannel, Set<(payload: never) => void>>();
  transport.listen((m) => {
    const set = listeners.get(m.event);
    if (!set) return;
    for (const l of [...set]) {
      try {
        l(m.payload as never);
      } catch (e) {
        console.error(`qins: listener for ${m.event} failed`, e);
      }
    }
  });
  const api: QinsApi = {
    transport: kind,
    async invoke(channel, payload) {
      if (!isRequestChannel(channel)) throw toError({ code: 'UNKNOWN_CHANNEL', message: `unknown channel "${String(channel)}"` });
      const reply = await transport.request({ id: nextId++, channel, payload });
      if (reply.ok) return reply.result as never;
      throw toError(reply.error);
    },
    on(event, listener) {
      if (!isEventChannel(event)) throw toError({ code: 'UNKNOWN_CHANNEL', message: `unknown event "${String(event)}"` });
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => {
        set.delete(listener as (payload: never) => void);
      };
    },
  };
  return api;
}
