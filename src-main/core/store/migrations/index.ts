// The numbered schema migrations, in order. Add a migration as a new file NNN-name.ts and append
// it here; never edit one that has shipped.
import { migration001 } from './001-initial.js';
import { migration002 } from './002-search.js';
import { migration003 } from './003-presets.js';
import { migration004 } from './004-model-quality.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

export const MIGRATIONS: readonly Migration[] = [migration001, migration002, migration003, migration004];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;
