// The model registry tables: the converted models the library lists, and their quality measurements.
import type { z } from 'zod';
import type { StoreContext } from './context.js';
import { StoreError } from './db.js';
import { type ModelRow, toModel } from './rows.js';
import {
  type ModelQualityRecord,
  ModelQualityRecord as ModelQualityRecordSchema,
  type ModelRecord,
  ModelRecord as ModelRecordSchema,
} from '../../../src-shared/records.js';

/** Adds a model to the registry, or replaces the record with the same id. */
export function upsertModel(ctx: StoreContext, record: z.input<typeof ModelRecordSchema>): ModelRecord {
  const r = ModelRecordSchema.parse(record);
  ctx
    .sql(
      `INSERT INTO models (id, name, path, codec, architecture, params, file_bytes, context_length, bits_per_weight,
                           snr_db, source_name, source_bytes, source_path, builtin, added_at, last_used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, path = excluded.path, codec = excluded.codec,
         architecture = excluded.architecture, params = excluded.params, file_bytes = excluded.file_bytes,
         context_length = excluded.context_length, bits_per_weight = excluded.bits_per_weight,
         snr_db = excluded.snr_db, source_name = excluded.source_name, source_bytes = excluded.source_bytes,
         source_path = excluded.source_path, builtin = excluded.builtin, added_at = excluded.added_at, last_used_at = excluded.last_used_at`,
    )
    .run(
      r.id,
      r.name,
      r.path,
      r.codec,
      r.architecture,
      r.params,
      r.fileBytes,
      r.contextLength,
      r.bitsPerWeight,
      r.snrDb,
      r.sourceName,
      r.sourceBytes,
      r.sourcePath,
      r.builtin ? 1 : 0,
      r.addedAt,
      r.lastUsedAt,
    );
  return getModel(ctx, r.id) as ModelRecord;
}

export function getModel(ctx: StoreContext, id: string): ModelRecord | null {
  const row = ctx.sql('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
  return row ? toModel(row) : null;
}

/** Built-in first, then by when they were added. */
export function listModels(ctx: StoreContext): ModelRecord[] {
  return (ctx.sql('SELECT * FROM models ORDER BY builtin DESC, added_at, seq').all() as ModelRow[]).map(toModel);
}

export function removeModel(ctx: StoreContext, id: string): boolean {
  return ctx.sql('DELETE FROM models WHERE id = ?').run(id).changes > 0;
}

/** Records a quality measurement of a model (replacing the previous one). */
export function setModelQuality(ctx: StoreContext, modelId: string, quality: ModelQualityRecord): ModelQualityRecord {
  const q = ModelQualityRecordSchema.parse(quality);
  if (!getModel(ctx, modelId)) throw new StoreError('NOT_FOUND', `no model ${modelId}`);
  ctx
    .sql(
      `INSERT INTO model_quality (model_id, ppl, tokens, reference_ppl, measured_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (model_id) DO UPDATE SET ppl = excluded.ppl, tokens = excluded.tokens,
         reference_ppl = excluded.reference_ppl, measured_at = excluded.measured_at`,
    )
    .run(modelId, q.ppl, q.tokens, q.referencePpl, q.measuredAt);
  return q;
}

export function getModelQuality(ctx: StoreContext, modelId: string): ModelQualityRecord | null {
  const row = ctx.sql('SELECT ppl, tokens, reference_ppl, measured_at FROM model_quality WHERE model_id = ?').get(modelId) as
    | { ppl: number; tokens: number; reference_ppl: number | null; measured_at: number }
    | undefined;
  return row ? { ppl: row.ppl, tokens: row.tokens, referencePpl: row.reference_ppl, measuredAt: row.measured_at } : null;
}

export function touchModel(ctx: StoreContext, id: string): void {
  if (ctx.sql('UPDATE models SET last_used_at = ? WHERE id = ?').run(ctx.now(), id).changes === 0) {
    throw new StoreError('NOT_FOUND', `no model ${id}`);
  }
}
