// Appends initializer bytes to an ONNX external data file. Large tensors start at 64 KiB
// boundaries (the allocation granularity ONNX Runtime needs to memory-map them), small ones at 64 B.
import { open, type FileHandle } from 'node:fs/promises';

const LARGE_BYTES = 1 << 20;
const LARGE_ALIGN = 1 << 16;
const SMALL_ALIGN = 64;

export class ExternalDataWriter {
  private fh: FileHandle | null = null;
  private size = 0;

  /** `path` is where the file is written; `location` is its name relative to the model file. */
  constructor(
    private readonly path: string,
    readonly location: string,
  ) {}

  get bytes(): number {
    return this.size;
  }

  async append(data: Uint8Array): Promise<{ offset: number; length: number }> {
    this.fh ??= await open(this.path, 'w');
    const align = data.byteLength >= LARGE_BYTES ? LARGE_ALIGN : SMALL_ALIGN;
    const offset = Math.ceil(this.size / align) * align;
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await this.fh.write(data, done, data.byteLength - done, offset + done);
      done += bytesWritten;
    }
    this.size = offset + data.byteLength;
    return { offset, length: data.byteLength };
  }

  /** Flushes to disk and closes; returns the file size. */
  async close(): Promise<number> {
    if (this.fh) {
      await this.fh.sync();
      await this.fh.close();
      this.fh = null;
    }
    return this.size;
  }
}
