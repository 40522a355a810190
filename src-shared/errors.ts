// Errors that cross a process boundary: the codes a UI can act on and the `{code, message}` shape
// every process sends and receives (part of the contract, re-exported by contract.ts).
import { z } from 'zod';

/** Codes a UI can act on. */
export const ErrorCode = z.enum([
  'INVALID_PAYLOAD', // the request did not match its schema
  'UNKNOWN_CHANNEL', // no such request channel
  'NOT_FOUND', // the referenced conversation / model / job does not exist
  'BUSY', // a conflicting operation is running
  'CANCELLED', // the operation was cancelled
  'ENGINE_UNAVAILABLE', // the engine host is not running (starting or restarting)
  'ENGINE_CRASHED', // the engine host died during the operation
  'UNSUPPORTED', // e.g. an unsupported model architecture
  'BAD_INPUT', // a corrupt or malformed file or folder
  'NO_SPACE', // the disk is full
  'NO_MEMORY', // not enough free memory (e.g. for a model at the chosen context length)
  'IO', // another file-system error
  'FORBIDDEN', // the Hugging Face Hub refused: a gated or private repo needs a token (and the license accepted)
  'NETWORK', // the Hugging Face Hub could not be reached or answered with an error
  'INTERNAL', // a bug: the message says what happened
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const QinsErrorShape = z.object({ code: ErrorCode, message: z.string() });
export type QinsErrorShape = z.infer<typeof QinsErrorShape>;

/** An error that crosses the process boundary as `{code, message}`. */
export class QinsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'QinsError';
  }
  toJSON(): QinsErrorShape {
    return { code: this.code, message: this.message };
  }
}

/** Any thrown value as `{code, message}`: a QinsError keeps its code, anything else is INTERNAL. */
export function toErrorShape(e: unknown): QinsErrorShape {
  if (e instanceof QinsError) return e.toJSON();
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', message: message.slice(0, 1000) || 'internal error' };
}
