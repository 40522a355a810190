// The shared fixtures (real tiny models + golden outputs from HF transformers) live beside the
// repository in ../shared/fixtures; QINS_FIXTURES overrides the location.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from './built.js';

export const FIXTURES = resolve(process.env.QINS_FIXTURES ?? join(repoRoot, '..', 'shared', 'fixtures'));
export const GOLDEN = join(FIXTURES, 'golden');

if (!existsSync(GOLDEN)) {
  throw new Error(`fixtures not found at ${FIXTURES}: set QINS_FIXTURES to the shared fixtures folder`);
}

export const fixtureModel = (name: 'tiny-phi3-chat' | 'tiny-llama-chat' | 'tiny-qwen2-chat'): string => join(FIXTURES, name);
