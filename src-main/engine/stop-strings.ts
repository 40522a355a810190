// Stop strings over streamed text: text that might be the start of a stop string is held back
// until it is known not to be one, so a stop string never reaches the user, even in part.

export interface StopFilterResult {
  /** Text that is safe to show now. */
  text: string;
  /** The stop string that ended the text, or null. */
  stop: string | null;
}

export class StopStringFilter {
  private readonly stops: string[];
  private held = '';
  private done = false;

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  push(delta: string): StopFilterResult {
    if (this.done) return { text: '', stop: null };
    const buf = this.held + delta;
    let cut = -1;
    let which: string | null = null;
    for (const s of this.stops) {
      const i = buf.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) {
        cut = i;
        which = s;
      }
    }
    if (which !== null) {
      this.done = true;
      this.held = '';
      return { text: buf.slice(0, cut), stop: which };
    }
    const keep = this.partialSuffix(buf);
    this.held = buf.slice(buf.length - keep);
    return { text: buf.slice(0, buf.length - keep), stop: null };
  }

  /** Releases held text at the end of generation (it turned out not to be a stop string). */
  flush(): string {
    const t = this.done ? '' : this.held;
    this.held = '';
    return t;
  }

  /** Length of the longest suffix of `buf` that is a proper prefix of some stop string. */
  private partialSuffix(buf: string): number {
    let best = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, buf.length); n > best; n--) {
        if (buf.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
