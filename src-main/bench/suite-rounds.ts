// The measuring steps at one scale: the interleaved timed rounds (each measurement in its own
// process, a read-bandwidth probe after each round) and, on the tiny model, perplexity on the
// eval text.
import { loadavg } from 'node:os';
import { runQins } from './child.js';
import type { PeerBenchResult } from './peer-bench.js';
import type { BenchConfig, Scale } from './suite-config.js';
import { measure, notePeer, record } from './suite-measure.js';
import type { PeerRun, SuiteEntry } from './suite-result.js';

interface EvalJson {
  ppl: number;
  tokens: number;
}

/** One scale of a run: its configurations and their entries. */
export interface ScaleRun {
  scale: Scale;
  here: readonly BenchConfig[];
  byId: Map<string, SuiteEntry>;
  slog: (l: string) => void;
  threads: number | null;
}

/** Interleaved rounds: every configuration once per round, each measurement in its own process. */
export async function measureRounds(
  s: ScaleRun,
  rounds: number,
  tokens: { prefill: number; decode: number },
  peer: PeerRun,
  probe: (when: string) => Promise<void>,
): Promise<void> {
  const { scale, byId, slog, threads } = s;
  const { prefill, decode } = tokens;
  const timed = s.here.filter((c) => !c.qualityOnly);
  for (let round = 1; round <= rounds; round++) {
    for (const c of timed) {
      const e = byId.get(c.id)!;
      if (e.error !== null) continue;
      if (c.phi35Once && scale === 'phi35' && round > 1) continue;
      const clog = (l: string) => slog(`round ${round}/${rounds} ${c.label}: ${l}`);
      try {
        const load0 = loadavg()[0] ?? 0;
        const r = await measure(c, e.model, { prefill, decode, threads, peerDirs: { avx2: peer.avx2_dir, avxvnni: peer.avxvnni_dir ?? null } }, clog);
        record(e, r, round, load0);
        if (c.engine === 'llama.cpp') notePeer(peer, c, r.json as PeerBenchResult);
        clog(`decode ${r.json.decode_tok_s.toFixed(2)} tok/s (depth 0: ${r.json.decode_depth0_tok_s.toFixed(2)}), prefill ${r.json.prefill_tok_s.toFixed(1)} tok/s`);
      } catch (err) {
        e.error = (err as Error).message.split('\n')[0] ?? 'failed';
        clog(`failed: ${e.error}`);
      }
    }
    await probe(`${scale} round ${round}`);
  }
}

/** Perplexity on the eval text of every configuration that computes one (the tiny model). */
export async function measureQuality(s: ScaleRun, evalText: string): Promise<void> {
  const { byId, slog, threads } = s;
  for (const c of s.here.filter((x) => x.engine !== 'llama.cpp' && !x.kernels)) {
    const e = byId.get(c.id)!;
    if (e.error !== null) continue;
    const clog = (l: string) => slog(`${c.label}: ${l}`);
    try {
      clog('perplexity on the eval text');
      const args = ['eval', e.model, '--text', evalText, '--window', '512', '--ctx', '512'];
      if (threads) args.push('--threads', String(threads));
      if (c.kv) args.push('--kv', c.kv);
      const p = await runQins<EvalJson>(args, { onLine: clog });
      e.ppl = p.json.ppl;
      e.ppl_tokens = p.json.tokens;
      clog(`perplexity ${p.json.ppl.toFixed(2)}`);
    } catch (err) {
      e.error = (err as Error).message.split('\n')[0] ?? 'failed';
      clog(`failed: ${e.error}`);
    }
  }
}
