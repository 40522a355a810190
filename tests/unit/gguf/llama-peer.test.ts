// The exported GGUF files in llama.cpp (node-llama-cpp, installed by `npm run peer:install`): for
// the three fixtures, converted with f32, bf16 and q8 and exported, llama.cpp
// (1) tokenizes the golden prompts' texts into the golden ids;
// (2) continues every golden prompt (its ids evaluated as given) greedily like our engine;
// (3) gives the same next-token logits as our engine running the same weights with exact (f32)
//     activations, within the rounding llama.cpp applies.
//
// Both engines run the same weights, but not the same arithmetic: llama.cpp keeps K and V in
// f16, rounds the activations of BF16 matrix products to bf16 and quantizes those of Q8_0 ones to
// 8-bit blocks, while our engine keeps f32 K/V and uses its own int8 activations for q8. Measured
// on these fixtures against our engine with f32 activations, the logit gaps between the top-10
// candidates differ by at most 0.009 (f32), 0.054 (bf16) and 0.22 (q8; our own int8 activations
// move them by 0.20). NOISE bounds that with some room. A greedy parting is accepted only where
// both engines rank the two candidates within NOISE of each other (a near tie); each one is
// reported with its margins, and the comparison resumes on our engine's token. A wrong tensor
// layout moves logits by whole units, far beyond these bounds.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openPeerModel, type PeerModel } from '../../../src-main/bench/llama-peer.js';
import { parseGolden } from '../../../src-main/engine/eval.js';
import { exportGguf } from '../../../src-main/engine/gguf/index.js';
import { openQinsBackend, type QinsBackend } from '../../../src-main/engine/qins-backend.js';
import { GOLDEN } from '../helpers/fixtures.js';
import { convertFixture, FIXTURE_NAMES, goldenName, newScratch, requirePeer, type Fixture } from './helpers.js';

const root = newScratch();
afterAll(() => root.cleanup());

/** Logit agreement bound and near-tie width per codec (see the header). */
const NOISE = { f32: 0.015, bf16: 0.08, q8: 0.3 } as const;
type Codec = keyof typeof NOISE;
/** llama.cpp's threads spin while they wait: one thread, so other work on a shared machine cannot stall it. */
const PEER_THREADS = 1;
const CONTEXT = 2048;

const golden = (f: Fixture): ReturnType<typeof parseGolden> => parseGolden(JSON.parse(readFileSync(join(GOLDEN, `${goldenName(f)}.json`), 'utf8')));

async function exportFixture(f: Fixture, codec: Codec, name?: string): Promise<{ qins: string; gguf: string; warnings: string[] }> {
  const qins = await convertFixture(root.dir, f, codec);
  const gguf = join(root.dir, `${f}-${codec}${name ? '-named' : ''}.gguf`);
  const r = await exportGguf(qins, gguf, { force: true, ...(name ? { name } : {}) });
  return { qins, gguf, warnings: r.warnings };
}

function argmax(l: Float32Array): number {
  let a = 0;
  for (let i = 1; i < l.length; i++) if (l[i]! > l[a]!) a = i;
  return a;
}

/** Our engine's greedy continuation and the logits at each step. */
async function oursGreedy(be: QinsBackend, ids: number[], n: number): Promise<{ tokens: number[]; logits: Float32Array[] }> {
  const tokens: number[] = [];
  const logits: Float32Array[] = [];
  let l = await be.forward(Int32Array.from(ids), 0);
  for (let k = 0; k < n; k++) {
    logits.push(l);
    tokens.push(argmax(l));
    if (k + 1 < n) l = await be.forward(Int32Array.of(tokens[k]!), ids.length + k);
  }
  return { tokens, logits };
}

interface Parting {
  step: number;
  ours: number;
  peer: number;
  /** our logit of our token − our logit of llama.cpp's */
  oursGap: number;
  /** llama.cpp's log-probability of its token − of ours (= the logit difference) */
  peerGap: number;
}

/** Compares llama.cpp's greedy continuation with ours; after a parting, resumes from our token. */
async function partings(peer: PeerModel, ids: number[], ours: { tokens: number[]; logits: Float32Array[] }): Promise<Parting[]> {
  const out: Parting[] = [];
  const n = ours.tokens.length;
  for (let k = 0; k < n; ) {
    const prefix = [...ids, ...ours.tokens.slice(0, k)];
    const theirs = await peer.greedy(prefix, n - k);
    const d = theirs.findIndex((t, i) => t !== ours.tokens[k + i]);
    if (d < 0) break;
    const step = k + d;
    const o = ours.tokens[step]!;
    const p = theirs[d]!;
    const top = await peer.topNext([...ids, ...ours.tokens.slice(0, step)], 64);
    const lp = (id: number): number => top.find((x) => x.id === id)?.logprob ?? -Infinity;
    const l = ours.logits[step]!;
    out.push({ step, ours: o, peer: p, oursGap: l[o]! - l[p]!, peerGap: lp(p) - lp(o) });
    k = step + 1;
  }
  return out;
}

describe('exported GGUF in llama.cpp', () => {
  for (const fixture of FIXTURE_NAMES) {
    describe(fixture, () => {
      it('tokenizes the golden prompts into the golden ids', async (ctx) => {
        requirePeer(ctx);
        const g = golden(fixture);
        const prompts = g.prompts.filter((p) => typeof p.text === 'string');
        expect(prompts.length).toBe(7);
        const check = async (gguf: string, which: (kind: string) => boolean): Promise<number> => {
          const peer = await openPeerModel(gguf, { threads: PEER_THREADS, contextSize: 512 });
          let n = 0;
          try {
            for (const p of prompts)
              if (which(p.kind)) {
                expect(peer.tokenize(p.text!, { specials: true }), `${fixture} ${p.kind}: ${p.text}`).toEqual(p.ids);
                n++;
              }
          } finally {
            await peer.dispose();
          }
          return n;
        };
        const plain = await exportFixture(fixture, 'q8');
        if (fixture === 'tiny-phi3-chat') {
          expect(await check(plain.gguf, () => true)).toBe(7);
          return;
        }
        // The llama and qwen2 fixtures carry Phi-3's tokenizer, whose chat tokens swallow the
        // newline after them (rstrip). GGUF has no key for that; llama.cpp applies it only to models
        // named phi3. The export says so, plain text tokenizes exactly, and with such a name the
        // chat prompts do too.
        expect(plain.warnings.join(' ')).toMatch(/swallow the whitespace/);
        expect(await check(plain.gguf, (k) => k !== 'chat')).toBe(3);
        const named = await exportFixture(fixture, 'q8', `${fixture}-phi3-tokenizer`);
        expect(await check(named.gguf, () => true)).toBe(7);
      }, 300_000);

      for (const codec of Object.keys(NOISE) as Codec[]) {
        it(`${codec}: greedy continuations of the golden prompts equal our engine's, up to near ties; next-token logits agree`, async (ctx) => {
          requirePeer(ctx);
          const g = golden(fixture);
          const { qins, gguf } = await exportFixture(fixture, codec);
          const peer = await openPeerModel(gguf, { threads: PEER_THREADS, contextSize: CONTEXT });
          const ours = await openQinsBackend(qins, { threads: 2, contextLength: CONTEXT });
          const exact = await openQinsBackend(qins, { threads: 2, contextLength: CONTEXT, activations: 'f32' });
          try {
            const found: Array<{ line: string; part: Parting }> = [];
            let worst = 0;
            let same = 0;
            for (const [i, p] of g.prompts.entries()) {
              const mine = await oursGreedy(ours, p.ids, p.greedy_ids.length);
              const parts = await partings(peer, p.ids, mine);
              if (parts.length === 0) same++;
              for (const part of parts) {
                const line = `${fixture} ${codec} prompt ${i} step ${part.step}: ours ${part.ours} (by ${part.oursGap.toFixed(4)}), llama.cpp ${part.peer} (by ${part.peerGap.toFixed(4)})`;
                found.push({ line, part });
              }
              if (codec === 'f32') expect(mine.tokens, `prompt ${i}: our engine vs HF`).toEqual(p.greedy_ids);
              // Next-token logits at the prompt's end: gaps to the top candidate over llama.cpp's top 10.
              const top = await peer.topNext(p.ids, 10);
              const l = await exact.forward(Int32Array.from(p.ids), 0);
              for (const x of top) worst = Math.max(worst, Math.abs(x.logprob - top[0]!.logprob - (l[x.id]! - l[top[0]!.id]!)));
            }
            console.info(
              `${fixture} ${codec}: ${same}/${g.prompts.length} greedy continuations identical; logit gaps within ${worst.toFixed(4)} of exact activations` +
                found.map((f) => `\n  near tie: ${f.line}`).join(''),
            );
            expect(worst).toBeLessThanOrEqual(NOISE[codec]);
            for (const { line, part } of found) {
              expect(part.oursGap, line).toBeLessThanOrEqual(NOISE[codec]);
              expect(part.peerGap, line).toBeLessThanOrEqual(NOISE[codec]);
            }
          } finally {
            await exact.dispose();
            await ours.dispose();
            await peer.dispose();
          }
        }, 600_000);
      }
    });
  }
});
