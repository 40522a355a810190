// Named system prompt + sampling presets.
import type { Migration } from './types.js';

export const migration003: Migration = {
  version: 3,
  name: 'presets',
  up(db) {
    db.exec(`
      CREATE TABLE presets (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        system_prompt TEXT NOT NULL DEFAULT '',
        sampling TEXT NOT NULL CHECK (json_valid(sampling)),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `);
  },
};
