// Atomic output: a temp file in the destination folder, positioned writes, fsync, rename. On any
// failure or cancellation the temp file is removed, so no partial output is ever left behind.
// While the file is written (on Linux), every FLUSH_EVERY bytes start an fdatasync in the
// background: the disk writes overlap the encoding, and the fsync at the end has only the last part
// left to write (a 2 GB output otherwise sits in memory as dirty pages until that fsync writes it
// all at once).
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat, statfs, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ConvertError, fsError } from './errors.js';

/** The file operations the writer needs; replaceable to inject faults in tests. */
export interface WriterIo {
  write(fh: FileHandle, buf: Uint8Array, position: number): Promise<number>;
  /** fdatasync (the background flushes). */
  datasync(fh: FileHandle): Promise<void>;
}
export const defaultIo: WriterIo = {
  write: async (fh, buf, position) => (await fh.write(buf, 0, buf.byteLength, position)).bytesWritten,
  datasync: (fh) => fh.datasync(),
};

/** Bytes written between two background flushes: Linux only, where it was measured. Elsewhere a
 *  sync can be a full device flush (F_FULLFSYNC on macOS) and was not measured, so there the file is
 *  synced once, at the end, as before. */
export const FLUSH_EVERY = process.platform === 'linux' ? 256 * 1024 * 1024 : Number.POSITIVE_INFINITY;

export class AtomicFile {
  private closed = false;
  bytesWritten = 0;
  /** Background flushes started so far. */
  flushes = 0;
  private unflushed = 0;
  /** The background flush in progress (never rejects: its error is kept in flushError). */
  private flushing: Promise<void> | null = null;
  private flushError: unknown = null;

  private constructor(
    readonly destination: string,
    readonly tempPath: string,
    private readonly fh: FileHandle,
    private readonly io: WriterIo,
    private readonly flushEvery: number,
  ) {}

  /** Checks the destination and creates the temp file next to it. */
  static async create(destination: string, io: WriterIo = defaultIo, flushEvery = FLUSH_EVERY): Promise<AtomicFile> {
    const dest = resolve(destination);
    const dir = dirname(dest);
    const dst = await stat(dest).catch(() => null);
    if (dst?.isDirectory()) throw new ConvertError('NOT_WRITABLE', `${dest} is a folder; give a file name for the output`, dest);
    const dirStat = await stat(dir).catch((e: unknown) => {
      throw new ConvertError('NOT_WRITABLE', `${dir}: destination folder does not exist (${(e as NodeJS.ErrnoException).code ?? 'error'})`, dir);
    });
    if (!dirStat.isDirectory()) throw new ConvertError('NOT_WRITABLE', `${dir} is not a folder`, dir);
    const temp = join(dir, `.${basename(dest)}.${randomBytes(4).toString('hex')}.partial`);
    const fh = await open(temp, 'wx', 0o644).catch((e: unknown) => {
      const err = fsError(e, dest, 'creating the output file');
      throw err.code === 'IO_ERROR' || err.code === 'NOT_FOUND'
        ? new ConvertError('NOT_WRITABLE', `${dest}: cannot create the output file (${(e as NodeJS.ErrnoException).code ?? 'error'})`, dest)
        : err;
    });
    return new AtomicFile(dest, temp, fh, io, flushEvery);
  }

  /** Free bytes on the destination's file system (null when unknown). */
  static async freeBytes(destination: string): Promise<number | null> {
    try {
      const s = await statfs(dirname(resolve(destination)));
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      return null;
    }
  }

  async write(buf: Uint8Array, position: number): Promise<void> {
    if (this.flushError) throw fsError(this.flushError, this.destination, 'writing');
    let done = 0;
    while (done < buf.byteLength) {
      let n: number;
      try {
        n = await this.io.write(this.fh, buf.subarray(done), position + done);
      } catch (e) {
        throw fsError(e, this.destination, 'writing');
      }
      if (n <= 0) throw new ConvertError('IO_ERROR', `${this.destination}: write returned ${n}`, this.destination);
      done += n;
    }
    this.bytesWritten += buf.byteLength;
    this.unflushed += buf.byteLength;
    if (this.unflushed >= this.flushEvery && !this.flushing) this.startFlush();
  }

  /** One fdatasync in the background; the next starts only after it and FLUSH_EVERY more bytes. */
  private startFlush(): void {
    this.unflushed = 0;
    this.flushes++;
    this.flushing = this.io
      .datasync(this.fh)
      .catch((e: unknown) => {
        this.flushError ??= e;
      })
      .finally(() => {
        this.flushing = null;
      });
  }

  /** Flushes to disk and moves the file into place. */
  async commit(): Promise<void> {
    try {
      await this.flushing;
      if (this.flushError) throw this.flushError;
      await this.fh.sync();
      await this.fh.close();
      this.closed = true;
      await rename(this.tempPath, this.destination);
    } catch (e) {
      await this.abort();
      throw fsError(e, this.destination, 'finishing the output file');
    }
    // Persist the rename itself (best effort: not every platform can fsync a folder).
    try {
      const d = await open(dirname(this.destination), 'r');
      await d.sync().catch(() => undefined);
      await d.close();
    } catch {
      /* ignore */
    }
  }

  /** Closes and deletes the temp file; safe to call more than once. */
  async abort(): Promise<void> {
    await this.flushing;
    if (!this.closed) {
      this.closed = true;
      await this.fh.close().catch(() => undefined);
    }
    await rm(this.tempPath, { force: true }).catch(() => undefined);
  }
}
