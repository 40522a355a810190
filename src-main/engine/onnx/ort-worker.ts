// Worker-thread entry of the ORT backend: owns one DecoderSession so that onnxruntime-node's
// synchronous run() never blocks the thread that drives generation.
import { parentPort, workerData } from 'node:worker_threads';
import { DecoderSession, type DecoderSessionOptions } from './decoder-session.js';
import { readOrtModelDir } from './model-dir.js';
import type { WorkerReply, WorkerRequest } from './ort-protocol.js';

const port = parentPort;
if (!port) throw new Error('ort-worker must run in a worker thread');

const { dir, options } = workerData as { dir: string; options: DecoderSessionOptions };
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const reply = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

const ready = readOrtModelDir(dir).then((model) => DecoderSession.create(model, options));
ready.then(
  (s) => reply({ type: 'ready', capacity: s.capacity }),
  (e: unknown) => reply({ type: 'failed', message: errorText(e) }),
);

// Requests are handled strictly in order (the KV cache is sequential state).
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: WorkerRequest) => {
  queue = queue.then(async () => {
    const session = await ready.catch(() => null);
    if (!session) return;
    if (m.type === 'forward') {
      try {
        const logits = await session.forward(m.tokens, m.pos, m.allLogits);
        reply({ type: 'logits', id: m.id, logits, kvBytes: session.kvBytes() }, [logits.buffer as ArrayBuffer]);
      } catch (e) {
        reply({ type: 'error', id: m.id, message: errorText(e) });
      }
    } else if (m.type === 'reset') {
      session.reset();
    } else if (m.type === 'dispose') {
      await session.release().catch(() => undefined);
      reply({ type: 'disposed' });
    }
  });
});
