// One generation at a time on the loaded model: chat replies from the UI and API completions
// wait their turn here. The queue is bounded (a full queue refuses with BUSY) and a job can be
// cancelled while it waits or while it runs.
import { QinsError } from '../../src-shared/contract.js';

export interface QueuedJob<T> {
  jobId: string;
  /** Runs when the job's turn comes; `signal` fires on cancel. */
  run(signal: AbortSignal): Promise<T>;
  /** Called while waiting, with the number of jobs ahead. */
  onQueued?(position: number): void;
}

interface Entry {
  jobId: string;
  controller: AbortController;
  start(): void;
  onQueued?(position: number): void;
}

export class GenerationQueue {
  private running: Entry | undefined;
  private readonly waiting: Entry[] = [];

  constructor(private readonly maxWaiting = 8) {}

  get activeJobId(): string | null {
    return this.running?.jobId ?? null;
  }

  get length(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  /** Resolves with the job's result; rejects with BUSY when full, CANCELLED when cancelled before it ran. */
  submit<T>(job: QueuedJob<T>): Promise<T> {
    if (this.running && this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new QinsError('BUSY', `the model is busy (${this.waiting.length} requests waiting); try again shortly`));
    }
    return new Promise<T>((resolve, reject) => {
      const controller = new AbortController();
      const entry: Entry = {
        jobId: job.jobId,
        controller,
        onQueued: job.onQueued,
        start: () => {
          this.running = entry;
          const settle = () => {
            this.running = undefined;
            this.next();
          };
          job.run(controller.signal).then(
            (v) => {
              settle();
              resolve(v);
            },
            (e: unknown) => {
              settle();
              reject(e);
            },
          );
        },
      };
      controller.signal.addEventListener('abort', () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          reject(new QinsError('CANCELLED', 'cancelled before it started'));
          this.announce();
        }
      });
      if (!this.running) entry.start();
      else {
        this.waiting.push(entry);
        entry.onQueued?.(this.waiting.length);
      }
    });
  }

  /** Cancels a waiting or running job; false when no such job. */
  cancel(jobId: string): boolean {
    const entry = this.running?.jobId === jobId ? this.running : this.waiting.find((e) => e.jobId === jobId);
    if (!entry) return false;
    entry.controller.abort();
    return true;
  }

  private next(): void {
    const entry = this.waiting.shift();
    if (entry) {
      entry.start();
      this.announce();
    }
  }

  private announce(): void {
    this.waiting.forEach((e, i) => e.onQueued?.(i + 1));
  }
}
