// Cancellable jobs of the engine host, keyed by the job id the main process chose.
import { QinsError } from '../../../src-shared/contract.js';

export class Jobs {
  private readonly running = new Map<string, AbortController>();

  /** Runs `fn` with an AbortSignal that `cancel(jobId)` fires. Job ids must be unique while running. */
  async run<T>(jobId: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.running.has(jobId)) throw new QinsError('BUSY', `job ${jobId} is already running`);
    const controller = new AbortController();
    this.running.set(jobId, controller);
    try {
      return await fn(controller.signal);
    } finally {
      this.running.delete(jobId);
    }
  }

  cancel(jobId: string): boolean {
    const c = this.running.get(jobId);
    if (!c) return false;
    c.abort();
    return true;
  }
}
