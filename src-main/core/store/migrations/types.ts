import type { Database } from 'better-sqlite3';

/**
 * One schema step. `up` runs inside the migration transaction (never call BEGIN/COMMIT or
 * PRAGMAs that cannot run in a transaction); the runner sets `user_version` to `version` after it.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Database): void;
}
