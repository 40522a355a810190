// The engine host: a child process that owns the native engine (models, generation, conversion)
// so that a crash or a long computation never takes the main process down with it.
// Started with child_process.fork (plain Node) or Electron's utilityProcess.fork.
import { QinsError, toErrorShape } from '../../src-shared/contract.js';
import { convertJob } from './host/convert.js';
import { perplexityJob } from './host/eval.js';
import { generateReply } from './host/generate.js';
import { Jobs } from './host/jobs.js';
import { ModelSlot } from './host/model-slot.js';
import { type FromHost, type HostEventName, type HostEvents, type HostMethod, type HostMethods, parseToHost } from '../../src-shared/engine-protocol.js';

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
const port = connect();
const slot = new ModelSlot();
const jobs = new Jobs();

function emit<E extends HostEventName>(event: E, data: HostEvents[E]): void {
  port.send({ kind: 'event', event, data } as FromHost);
}

type Impl = { [M in HostMethod]: (params: HostMethods[M]['params']) => Promise<HostMethods[M]['result']> | HostMethods[M]['result'] };

const methods: Impl = {
  ping: () => ({ pid: process.pid, uptimeMs: Date.now() - startedAt }),
  memory: async () => {
    const model = await slot.memory();
    const m = process.memoryUsage();
    return { pid: process.pid, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, ...model };
  },
  'model.load': (p) => slot.load(p.path, p),
  'model.unload': async () => ({ unloaded: await slot.unload() }),
  'model.countTokens': (p) => {
    const { session, info } = slot.current();
    if (!session) throw new QinsError('UNSUPPORTED', 'the loaded model has no chat template');
    return { tokens: session.countTokens(p.messages), contextLength: info.contextLength };
  },
  generate: (p) =>
    jobs.run(p.jobId, (signal) =>
      generateReply(slot, { ...p, signal, onDelta: (text, tokens) => emit('generate.delta', { jobId: p.jobId, text, tokens }) }),
    ),
  'generate.cancel': (p) => ({ cancelled: jobs.cancel(p.jobId) }),
  convert: (p) => jobs.run(p.jobId, (signal) => convertJob(p, signal, (progress) => emit('convert.progress', { jobId: p.jobId, progress }))),
  'convert.cancel': (p) => ({ cancelled: jobs.cancel(p.jobId) }),
  'eval.perplexity': (p) => jobs.run(p.jobId, (signal) => perplexityJob(p, signal, (done, total) => emit('eval.progress', { jobId: p.jobId, done, total }))),
  'eval.cancel': (p) => ({ cancelled: jobs.cancel(p.jobId) }),
};

port.onMessage(async (raw) => {
  const parsed = parseToHost(raw);
  if (!parsed.ok) {
    if (parsed.id !== null) port.send({ kind: 'reply', id: parsed.id, ok: false, error: parsed.error });
    return;
  }
  const msg = parsed.request;
  const impl = (methods as Record<string, (p: unknown) => unknown>)[msg.method]!;
  try {
    port.send({ kind: 'reply', id: msg.id, ok: true, result: await impl(msg.params) });
  } catch (e) {
    port.send({ kind: 'reply', id: msg.id, ok: false, error: toErrorShape(e) });
  }
});

// Exit with the parent: a forked child whose IPC channel closes has nobody to serve.
process.on('disconnect', () => process.exit(0));

port.send({ kind: 'ready', pid: process.pid });
