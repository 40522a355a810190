// Errors raised by conversion, inspection, verification and packing. Each carries a `code` the UI
// can act on and a one-line message naming the file (and tensor, when there is one).

export const CONVERT_ERROR_CODES = [
  /** The path does not exist, is not a folder, or holds no checkpoint. */
  'NOT_FOUND',
  /** config.json's model_type is not one of the supported architectures. */
  'UNSUPPORTED_ARCH',
  /** Malformed checkpoint: bad JSON, bad safetensors header, truncated shard, shape mismatch… */
  'BAD_CHECKPOINT',
  /** A tensor the architecture needs is absent, or a shard named by the index is missing. */
  'MISSING_TENSOR',
  /** Unknown codec or invalid option. */
  'BAD_ARGUMENT',
  /** The destination cannot be created or written. */
  'NOT_WRITABLE',
  /** The disk filled up (before or during writing). */
  'NO_SPACE',
  /** The conversion was cancelled through its AbortSignal. */
  'CANCELLED',
  /** A .qins / .qinz file is malformed. */
  'BAD_FILE',
  /** A checksum does not match the data. */
  'CHECKSUM_MISMATCH',
  /** Any other I/O failure. */
  'IO_ERROR',
  /** The native codecs could not be loaded. */
  'NATIVE_UNAVAILABLE',
] as const;
export type ConvertErrorCode = (typeof CONVERT_ERROR_CODES)[number];

export class ConvertError extends Error {
  constructor(
    readonly code: ConvertErrorCode,
    message: string,
    readonly file?: string,
    readonly tensor?: string,
  ) {
    super(message.split('\n')[0]);
    this.name = 'ConvertError';
  }
}

/** Maps an fs error on `file` to a ConvertError with a code the UI can act on. */
export function fsError(e: unknown, file: string, doing: string): ConvertError {
  if (e instanceof ConvertError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err?.code;
  const reason = code ?? (err instanceof Error ? err.message : String(e));
  if (code === 'ENOSPC' || code === 'EDQUOT') return new ConvertError('NO_SPACE', `${file}: no space left on the device while ${doing}`, file);
  if (code === 'EROFS') return new ConvertError('NOT_WRITABLE', `${file}: read-only file system (while ${doing})`, file);
  if (code === 'EACCES' || code === 'EPERM')
    return new ConvertError('NOT_WRITABLE', `${file}: permission denied while ${doing} (${reason})`, file);
  if (code === 'ENOENT') return new ConvertError('NOT_FOUND', `${file}: not found while ${doing}`, file);
  return new ConvertError('IO_ERROR', `${file}: ${doing} failed (${reason})`, file);
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new ConvertError('CANCELLED', `${what} cancelled`);
}
