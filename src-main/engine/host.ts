// The engine host: a child process that owns the native engine (models, generation, conversion)
// so that a crash or a long computation never takes the main process down with it.
// Started with child_process.fork (plain Node) or Electron's utilityProcess.fork.
import { toErrorShape } from '../core/router.js';
import type { FromHost, HostMethod, HostMethods, ToHost } from './protocol.js';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/** utilityProcess children talk through process.parentPort; forked Node children through process.send. */
function connect(): { send: (m: FromHost) => void; onMessage: (cb: (m: unknown) => void) => void } {
  const parentPort = (process as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return { send: (m) => parentPort.postMessage(m), onMessage: (cb) => parentPort.on('message', (e) => cb(e.data)) };
  }
  if (!process.send) throw new Error('engine host must be started as a child process');
  return { send: (m) => process.send?.(m), onMessage: (cb) => process.on('message', cb) };
}

const startedAt = Date.now();

type Impl = { [M in HostMethod]: (params: HostMethods[M]['params']) => Promise<HostMethods[M]['result']> | HostMethods[M]['result'] };

const methods: Impl = {
  ping: () => ({ pid: process.pid, uptimeMs: Date.now() - startedAt }),
  memory: () => {
    const m = process.memoryUsage();
    return { pid: process.pid, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, weightsMapped: 0, kvBytes: 0 };
  },
};

const port = connect();

port.onMessage(async (raw) => {
  const msg = raw as ToHost;
  if (typeof msg !== 'object' || msg === null || msg.kind !== 'request' || typeof msg.id !== 'number') return;
  const impl = (methods as Record<string, ((p: unknown) => unknown) | undefined>)[msg.method];
  if (!impl) {
    port.send({ kind: 'reply', id: msg.id, ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `engine host: unknown method ${String(msg.method)}` } });
    return;
  }
  try {
    port.send({ kind: 'reply', id: msg.id, ok: true, result: await impl(msg.params) });
  } catch (e) {
    port.send({ kind: 'reply', id: msg.id, ok: false, error: toErrorShape(e) });
  }
});

// Exit with the parent: a forked child whose IPC channel closes has nobody to serve.
process.on('disconnect', () => process.exit(0));

port.send({ kind: 'ready', pid: process.pid });
