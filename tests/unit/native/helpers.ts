// Shared by the native engine tests: fixture conversion (with the project's converter), the golden
// references, and small numeric helpers.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint } from '../../../src-main/engine/convert/index.js';
import type { Codec } from '../../../src-main/engine/format/qins-format.js';
import { FIXTURES, GOLDEN } from '../helpers/fixtures.js';

export { FIXTURES, GOLDEN };

export const FIXTURE_DIRS = { 'tiny-phi3': 'tiny-phi3-chat', 'tiny-llama': 'tiny-llama-chat', 'tiny-qwen2': 'tiny-qwen2-chat' } as const;
export type FixtureName = keyof typeof FIXTURE_DIRS;

export interface GoldenPrompt {
  kind: string;
  text: string;
  ids: number[];
  last_logits_f32_b64: string;
  top5_ids: number[][];
  top5_logits: number[][];
  greedy_ids: number[];
}
export interface Golden {
  model: string;
  prompts: GoldenPrompt[];
  eval_dev: { nll_sum: number; tokens: number; ppl: number };
}

export function loadGolden(name: FixtureName): Golden {
  return JSON.parse(readFileSync(join(GOLDEN, `${name}.json`), 'utf8')) as Golden;
}

export function lastLogits(p: GoldenPrompt): Float32Array {
  const b = Buffer.from(p.last_logits_f32_b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** A per-process folder for converted fixtures (each test file converts what it needs once). */
export const workDir = join(tmpdir(), `qins-native-tests-${process.pid}`);

export async function converted(name: FixtureName, codec: Codec): Promise<string> {
  mkdirSync(workDir, { recursive: true });
  const out = join(workDir, `${name}-${codec}.qins`);
  if (!existsSync(out)) await convertCheckpoint({ source: join(FIXTURES, FIXTURE_DIRS[name]), destination: out, codec });
  return out;
}

export function argmax(a: Float32Array, offset = 0, n = a.length - offset): number {
  let best = offset;
  for (let i = offset + 1; i < offset + n; i++) if (a[i]! > a[best]!) best = i;
  return best - offset;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array, aOffset = 0): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[aOffset + i]! - b[i]!));
  return m;
}

/** log-sum-exp minus the target's logit: the negative log-likelihood of one prediction, in float64. */
export function nll(logits: Float32Array, offset: number, n: number, target: number): number {
  let mx = -Infinity;
  for (let i = 0; i < n; i++) mx = Math.max(mx, logits[offset + i]!);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(logits[offset + i]! - mx);
  return Math.log(s) + mx - logits[offset + target]!;
}
