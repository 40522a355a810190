import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StopStringFilter } from '../../../src-main/engine/stop-strings.js';

/** Splits `s` at the given cut points. */
const chunks = (s: string, cuts: number[]): string[] => {
  const at = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(s.slice(prev, c));
    prev = c;
  }
  out.push(s.slice(prev));
  return out;
};

describe('StopStringFilter', () => {
  it('property: streamed in any chunks, the output is the text up to the first stop string, and held text never leaks', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\n', 'x'), maxLength: 40 }),
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\n'), minLength: 1, maxLength: 4 }), { maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (text, stops, cuts) => {
          const f = new StopStringFilter(stops);
          let out = '';
          let stop: string | null = null;
          for (const c of chunks(text, cuts)) {
            const r = f.push(c);
            out += r.text;
            if (r.stop !== null) {
              stop = r.stop;
              break;
            }
            // Nothing shown so far may contain a stop string.
            for (const s of stops) expect(out.includes(s)).toBe(false);
          }
          if (stop === null) out += f.flush();
          // Reference: cut at the earliest occurrence of any stop string.
          let cut = text.length;
          let which: string | null = null;
          for (const s of stops) {
            const i = text.indexOf(s);
            if (i >= 0 && i < cut) {
              cut = i;
              which = s;
            }
          }
          expect(out).toBe(text.slice(0, cut));
          if (which === null) expect(stop).toBeNull();
          else expect(text.slice(cut).startsWith(stop!)).toBe(true);
        },
      ),
      { numRuns: 1000, seed: 3 },
    );
  });

  it('holds a possible prefix back and releases it when it turns out not to be a stop string', () => {
    const f = new StopStringFilter(['\nUser:']);
    expect(f.push('Hello\nUs')).toEqual({ text: 'Hello', stop: null });
    expect(f.push('ually')).toEqual({ text: '\nUsually', stop: null });
    expect(f.push(' fine\nUser: more')).toEqual({ text: ' fine', stop: '\nUser:' });
    expect(f.push('after')).toEqual({ text: '', stop: null });
    expect(f.flush()).toBe('');
  });

  it('with no stop strings passes everything through', () => {
    const f = new StopStringFilter(['']);
    expect(f.push('abc')).toEqual({ text: 'abc', stop: null });
    expect(f.flush()).toBe('');
  });
});
