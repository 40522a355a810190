// Where a model was converted from (to measure the unquantized reference), and its measured quality.
import type { Migration } from './types.js';

export const migration004: Migration = {
  version: 4,
  name: 'model-quality',
  up(db) {
    db.exec(`
      ALTER TABLE models ADD COLUMN source_path TEXT;
      CREATE TABLE model_quality (
        model_id TEXT PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
        ppl REAL NOT NULL CHECK (ppl > 0),
        tokens INTEGER NOT NULL CHECK (tokens > 0),
        reference_ppl REAL CHECK (reference_ppl IS NULL OR reference_ppl > 0),
        measured_at INTEGER NOT NULL
      ) STRICT;
    `);
  },
};
