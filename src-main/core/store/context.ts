// The handle every part of the conversation store works through: the database, its cache of
// prepared statements, immediate write transactions and the clock.
import type { Statement as SqliteStatement } from 'better-sqlite3';
import type { Db } from './db.js';

export type Statement = SqliteStatement<unknown[]>;

export class StoreContext {
  private readonly statements = new Map<string, Statement>();

  constructor(
    readonly db: Db,
    readonly now: () => number,
  ) {}

  /** The prepared statement for `text` (prepared once, then reused). */
  sql(text: string): Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare<unknown[]>(text);
      this.statements.set(text, s);
    }
    return s;
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
