// The message channel between the main process and the engine host (a child process).
// Requests carry an id and are answered exactly once; events flow from the host unprompted.
import type { EngineMemory, QinsErrorShape } from '../../src-preload/contract.js';

/** Methods the engine host answers: params in, result out. */
export interface HostMethods {
  ping: { params: Record<string, never>; result: { pid: number; uptimeMs: number } };
  memory: { params: Record<string, never>; result: EngineMemory };
}
export type HostMethod = keyof HostMethods;

export interface HostRequest<M extends HostMethod = HostMethod> {
  kind: 'request';
  id: number;
  method: M;
  params: HostMethods[M]['params'];
}

export type HostReply =
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: QinsErrorShape };

/** Unsolicited messages from the host (streams are keyed by a job id inside `data`). */
export interface HostEvent {
  kind: 'event';
  event: string;
  data: unknown;
}

/** Sent once by the host when it is ready to take requests. */
export interface HostReady {
  kind: 'ready';
  pid: number;
}

export type ToHost = HostRequest;
export type FromHost = HostReply | HostEvent | HostReady;

export function isFromHost(m: unknown): m is FromHost {
  if (typeof m !== 'object' || m === null) return false;
  const kind = (m as { kind?: unknown }).kind;
  return kind === 'reply' || kind === 'event' || kind === 'ready';
}
