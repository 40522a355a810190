// Errors from the main process, as a person reads them.
import type { ErrorCode, QinsErrorShape } from '../../../src-shared/contract';
import { errorOf } from './qins';

const TITLES: Record<ErrorCode, string> = {
  INVALID_PAYLOAD: 'The request was not valid',
  UNKNOWN_CHANNEL: 'The app and its core are out of step',
  NOT_FOUND: 'Not found',
  BUSY: 'Busy',
  CANCELLED: 'Cancelled',
  ENGINE_UNAVAILABLE: 'The engine is not running',
  ENGINE_CRASHED: 'The engine stopped unexpectedly',
  UNSUPPORTED: 'Unsupported model',
  BAD_INPUT: 'Corrupt or incomplete checkpoint',
  NO_SPACE: 'Not enough disk space',
  NO_MEMORY: 'Not enough memory',
  IO: 'File error',
  FORBIDDEN: 'The Hugging Face Hub needs a token',
  NETWORK: 'Hugging Face Hub unreachable',
  INTERNAL: 'Something went wrong',
};

export interface ReadableError extends QinsErrorShape {
  title: string;
}

/** `{code, message, title}` from anything thrown by `qins.invoke` or carried by an error event. */
export function readable(e: unknown): ReadableError {
  const shape = isShape(e) ? e : errorOf(e);
  return { ...shape, title: TITLES[shape.code] ?? TITLES.INTERNAL };
}

function isShape(e: unknown): e is QinsErrorShape {
  return typeof e === 'object' && e !== null && !(e instanceof Error) && 'code' in e && 'message' in e;
}

/** A one-line description: "Unsupported model: config.json: model_type …". */
export function describe(e: unknown): string {
  const r = readable(e);
  return `${r.title}: ${r.message}`;
}
