// Buffers streamed text for one message and writes it to the store in batches, so a reply costs
// a few small transactions per second instead of one per token, and a crash loses at most one
// flush interval of text.

/** Where buffered text goes (the repository appends it to the message row in one transaction). */
export interface StreamSink {
  appendContent(messageId: string, text: string): void;
}

export interface StreamingWriterOptions {
  /** Longest time appended text may stay only in memory. At most MAX_FLUSH_INTERVAL_MS. */
  flushIntervalMs?: number;
  /** Called after each successful flush with the number of characters written so far. */
  onFlush?: (flushedChars: number) => void;
  /** Called when a timer-driven flush fails (an explicit flush() throws instead). */
  onError?: (error: unknown) => void;
}

export const DEFAULT_FLUSH_INTERVAL_MS = 250;
export const MAX_FLUSH_INTERVAL_MS = 500;

export class StreamingWriter {
  readonly flushIntervalMs: number;
  private pending: string[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = Date.now();
  private flushedChars = 0;
  private closed = false;

  constructor(
    private readonly sink: StreamSink,
    readonly messageId: string,
    private readonly options: StreamingWriterOptions = {},
  ) {
    const interval = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    if (!Number.isFinite(interval) || interval <= 0 || interval > MAX_FLUSH_INTERVAL_MS) {
      throw new RangeError(`flushIntervalMs must be in (0, ${MAX_FLUSH_INTERVAL_MS}], got ${interval}`);
    }
    this.flushIntervalMs = interval;
  }

  /** Characters written to the store so far. */
  get written(): number {
    return this.flushedChars;
  }

  /** Characters waiting for the next flush. */
  get buffered(): number {
    return this.pending.reduce((n, s) => n + s.length, 0);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  append(text: string): void {
    if (this.closed) throw new Error(`message ${this.messageId} is no longer being streamed`);
    if (text.length === 0) return;
    this.pending.push(text);
    // A producer that never yields to the event loop still gets its text written on time.
    if (Date.now() - this.lastFlush >= this.flushIntervalMs) {
      this.flush();
      return;
    }
    if (this.timer === null) {
      const wait = Math.max(0, this.flushIntervalMs - (Date.now() - this.lastFlush));
      this.timer = setTimeout(() => {
        this.timer = null;
        try {
          this.flush();
        } catch (e) {
          this.options.onError?.(e);
        }
      }, wait);
    }
  }

  /** Writes the buffered text now. */
  flush(): void {
    this.clearTimer();
    this.lastFlush = Date.now();
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    try {
      this.sink.appendContent(this.messageId, text);
    } catch (e) {
      // Keep the text so a later flush can retry it.
      this.pending.unshift(text);
      throw e;
    }
    this.flushedChars += text.length;
    this.options.onFlush?.(this.flushedChars);
  }

  /** Flushes and stops accepting text. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
