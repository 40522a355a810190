// Keeping the database file healthy and deleted text gone: search-index merges, WAL checkpoints,
// integrity checks.
import type { StoreContext } from './context.js';

/**
 * Makes deleted text unrecoverable: merges the search indexes into one segment each (dropping
 * the entries of deleted documents; secure_delete zeroes the freed pages), then checkpoints and
 * truncates the WAL. Returns false if a reader kept the WAL busy.
 */
export function purge(ctx: StoreContext): boolean {
  if (ctx.db.readonly) return false;
  ctx.sql("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')").run();
  ctx.sql("INSERT INTO conversations_fts(conversations_fts) VALUES ('optimize')").run();
  return checkpoint(ctx);
}

/** Moves the WAL into the database file and truncates it; false if a reader kept it busy. */
export function checkpoint(ctx: StoreContext): boolean {
  const db = ctx.db;
  if (db.readonly || db.name === ':memory:') return true;
  const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
  return r !== undefined && r.busy === 0;
}

/** SQLite's integrity check plus the search indexes' check against their tables; [] when healthy. */
export function integrityCheck(ctx: StoreContext): string[] {
  const db = ctx.db;
  const problems = (db.pragma('integrity_check') as Array<{ integrity_check: string }>)
    .map((r) => r.integrity_check)
    .filter((s) => s !== 'ok');
  problems.push(...(db.pragma('foreign_key_check') as unknown[]).map((r) => `foreign key: ${JSON.stringify(r)}`));
  if (db.readonly) return problems;
  for (const table of ['messages_fts', 'conversations_fts']) {
    try {
      db.prepare(`INSERT INTO ${table}(${table}, rank) VALUES ('integrity-check', 1)`).run();
    } catch (e) {
      problems.push(`${table}: ${(e as Error).message}`);
    }
  }
  return problems;
}
