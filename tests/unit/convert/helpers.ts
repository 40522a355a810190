// Shared helpers of the converter tests: fixture paths, scratch folders, decoding .qins tensors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const FIXTURES = resolve(__dirname, '../../../../shared/fixtures');
export const PHI3 = join(FIXTURES, 'tiny-phi3-chat');
export const LLAMA = join(FIXTURES, 'tiny-llama-chat');
export const QWEN2 = join(FIXTURES, 'tiny-qwen2-chat');

export function scratch(prefix = 'qins-convert-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
