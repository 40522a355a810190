// Errors the UI does not handle (exceptions, rejected promises) go to the app's log file through
// `app.reportError`, at most a few per minute so a render loop cannot flood it.
import { qins } from './qins';

const LIMIT_PER_MINUTE = 10;
let sent: number[] = [];

export function reportError(message: string, stack?: string): void {
  const now = Date.now();
  sent = sent.filter((t) => now - t < 60_000);
  if (sent.length >= LIMIT_PER_MINUTE) return;
  sent.push(now);
  void qins.invoke('app.reportError', { message: message.slice(0, 10_000), stack: stack?.slice(0, 50_000) }).catch(() => undefined);
}

export function installErrorReporting(target: Window = window): void {
  target.addEventListener('error', (e) => {
    const err = e.error instanceof Error ? e.error : undefined;
    reportError(err ? `${err.name}: ${err.message}` : e.message || 'error', err?.stack);
  });
  target.addEventListener('unhandledrejection', (e) => {
    const r: unknown = e.reason;
    reportError(r instanceof Error ? `unhandled rejection: ${r.name}: ${r.message}` : `unhandled rejection: ${String(r)}`, r instanceof Error ? r.stack : undefined);
  });
}
