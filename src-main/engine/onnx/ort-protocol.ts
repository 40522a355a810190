// Messages between the ORT backend and its worker thread.

export type WorkerRequest =
  | { type: 'forward'; id: number; tokens: Int32Array; pos: number; allLogits: boolean }
  | { type: 'reset' }
  | { type: 'dispose' };

export type WorkerReply =
  | { type: 'ready'; capacity: number }
  | { type: 'failed'; message: string }
  | { type: 'logits'; id: number; logits: Float32Array; kvBytes: number }
  | { type: 'error'; id: number; message: string }
  | { type: 'disposed' };
