import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'qins-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A bare connection (no pragmas, no migrations) for inspecting a database file. */
export function rawDb(file: string, readonly = false): Database.Database {
  return new Database(file, { readonly });
}

export interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

export const columns = (db: Database.Database, table: string): ColumnInfo[] =>
  db.pragma(`table_info(${table})`) as ColumnInfo[];

export const isStrict = (db: Database.Database, table: string): boolean => {
  const rows = db.pragma(`table_list(${table})`) as Array<{ name: string; strict: number }>;
  return rows.some((r) => r.name === table && r.strict === 1);
};

export const objects = (db: Database.Database, type: 'table' | 'index' | 'trigger'): string[] =>
  (db.prepare('SELECT name FROM sqlite_schema WHERE type = ? ORDER BY name').all(type) as Array<{ name: string }>).map(
    (r) => r.name,
  );

/** A clock that advances by one millisecond per call, so creation order is unambiguous. */
export function tickingClock(start = Date.UTC(2026, 0, 1)): () => number {
  let t = start;
  return () => t++;
}
