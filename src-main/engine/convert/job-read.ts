// Conversion stage 2, reading: positioned reads of rows from the checkpoint's shards (never a whole
// shard), samples of rows spread over a tensor for tuning, and the errors of failed reads.
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Checkpoint } from './checkpoint.js';
import { toF32 } from './codecs.js';
import { ConvertError, fsError } from './errors.js';
import type { PlacedTensor } from './layout.js';
import type { SourceDtype, SourceTensor } from './safetensors.js';

export class ShardReader {
  private readonly handles = new Map<string, FileHandle>();

  /** Opens every shard for reading. */
  async open(shards: Checkpoint['shards']): Promise<void> {
    for (const s of shards) {
      this.handles.set(
        s.file,
        await open(s.file, 'r').catch((e: unknown) => {
          throw fsError(e, basename(s.file), 'opening the shard');
        }),
      );
    }
  }

  /** The descriptor of an open shard (the native encoder reads from it itself). */
  fd(file: string): number {
    return this.handles.get(file)!.fd;
  }

  /** Reads rows [r0, r0 + rows) of a source tensor into the start of `buf`. */
  async readInto(src: SourceTensor, r0: number, rows: number, buf: Buffer): Promise<Buffer> {
    const rowBytes = src.bytes / src.shape[0]!;
    const len = rows * rowBytes;
    const view = buf.subarray(0, len);
    const fh = this.handles.get(src.file)!;
    let done = 0;
    while (done < len) {
      const { bytesRead } = await fh.read(view, done, len - done, src.offset + r0 * rowBytes + done).catch((e: unknown) => {
        throw fsError(e, basename(src.file), `reading tensor ${src.name}`);
      });
      if (bytesRead === 0)
        throw new ConvertError('BAD_CHECKPOINT', `${basename(src.file)}: tensor ${src.name}: file ended early (truncated shard?)`, src.file, src.name);
      done += bytesRead;
    }
    return view;
  }

  /** Reads up to `target` weights spread evenly over the tensor's rows, as float32. */
  async sampleRows(t: PlacedTensor, target: number): Promise<{ buf: Uint8Array; rows: number }> {
    const n = Math.min(t.rows, Math.max(8, Math.ceil(target / t.cols)));
    const out32 = new Float32Array(n * t.cols);
    const srcStarts: number[] = [];
    let acc = 0;
    for (const s of t.plan.sources) {
      srcStarts.push(acc);
      acc += s.shape[0]!;
    }
    for (let i = 0; i < n; i++) {
      const row = Math.floor(((i + 0.5) * t.rows) / n);
      let si = srcStarts.length - 1;
      while (srcStarts[si]! > row) si--;
      const src = t.plan.sources[si]!;
      const rowBytes = src.bytes / src.shape[0]!;
      const raw = await this.readInto(src, row - srcStarts[si]!, 1, Buffer.allocUnsafe(rowBytes));
      out32.set(toF32(raw, src.dtype as SourceDtype), i * t.cols);
    }
    return { buf: new Uint8Array(out32.buffer), rows: n };
  }

  async close(): Promise<void> {
    for (const fh of this.handles.values()) await fh.close().catch(() => undefined);
  }
}

/** A failed native read of a shard, as readInto reports it. */
export function sourceReadError(e: unknown, src: SourceTensor): unknown {
  const err = e as NodeJS.ErrnoException;
  if (!(err instanceof Error) || !err.message.startsWith('codecs: reading the source') || !err.code) return e;
  if (err.code === 'EOF')
    return new ConvertError('BAD_CHECKPOINT', `${basename(src.file)}: tensor ${src.name}: file ended early (truncated shard?)`, src.file, src.name);
  return fsError(err, basename(src.file), `reading tensor ${src.name}`);
}
