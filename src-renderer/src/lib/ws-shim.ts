// Browser shim: provides the same `window.qins` as the preload bridge, over the web host's
// WebSocket (`qins serve`). Reconnects when the socket drops; requests made while disconnected
// wait for the connection, requests in flight when it drops fail with ENGINE_UNAVAILABLE.
import { createApi } from '../../../src-shared/api';
import type { EventMessage, InvokeMessage, QinsApi, ReplyMessage } from '../../../src-shared/contract';

interface Waiting {
  resolve(reply: ReplyMessage): void;
}

export function createWsApi(url: string): QinsApi {
  const pending = new Map<number, Waiting>();
  const queue: string[] = [];
  const listeners: Array<(m: EventMessage) => void> = [];
  let socket: WebSocket | undefined;
  let retryMs = 250;

  const fail = (id: number, message: string): ReplyMessage => ({ id, ok: false, error: { code: 'ENGINE_UNAVAILABLE', message } });

  const connect = () => {
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      retryMs = 250;
      for (const m of queue.splice(0)) ws.send(m);
    };
    ws.onmessage = (e: MessageEvent<string>) => {
      let msg: ReplyMessage | EventMessage;
      try {
        msg = JSON.parse(e.data) as ReplyMessage | EventMessage;
      } catch {
        return;
      }
      if ('event' in msg) {
        for (const l of listeners) l(msg);
      } else if (msg.id !== null) {
        pending.get(msg.id)?.resolve(msg);
        pending.delete(msg.id);
      }
    };
    ws.onclose = () => {
      socket = undefined;
      for (const [id, w] of pending) w.resolve(fail(id, 'connection to QINS Chat lost'));
      pending.clear();
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };
  connect();

  return createApi(
    {
      request: (message: InvokeMessage) =>
        new Promise<ReplyMessage>((resolve) => {
          pending.set(message.id, { resolve });
          const text = JSON.stringify(message);
          if (socket?.readyState === WebSocket.OPEN) socket.send(text);
          else queue.push(text);
        }),
      listen: (listener) => listeners.push(listener),
    },
    'web',
  );
}

/** Installs `window.qins` when no preload provided one (i.e. in a plain browser). */
export function installWsShim(target: { qins?: QinsApi; location: Location }): QinsApi {
  if (target.qins) return target.qins;
  const { host, protocol } = target.location;
  const api = createWsApi(`${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`);
  target.qins = api;
  return api;
}
