import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion, type Db } from '../../../../src-main/core/store/db.js';
import { MIGRATIONS } from '../../../../src-main/core/store/migrations/index.js';
import { columns, isStrict } from '../helpers.js';

describe('migration 004: model source path and quality', () => {
  let db: Db;
  beforeEach(() => {
    db = openDatabase(':memory:', { migrations: MIGRATIONS.slice(0, 3) });
    db.prepare(
      `INSERT INTO models (id, name, path, codec, architecture, params, file_bytes, builtin, added_at)
       VALUES ('m1', 'tiny', '/m/tiny.qins', 'qins8', 'phi3', 10, 100, 0, 1)`,
    ).run();
    migrate(db, MIGRATIONS.slice(0, 4));
  });
  afterEach(() => db.close());

  it('adds models.source_path (null for existing rows) and a STRICT model_quality table', () => {
    expect(schemaVersion(db)).toBe(4);
    expect(columns(db, 'models').map((c) => c.name)).toContain('source_path');
    expect(db.prepare("SELECT source_path FROM models WHERE id = 'm1'").get()).toEqual({ source_path: null });
    expect(isStrict(db, 'model_quality')).toBe(true);
  });

  it('checks values and follows the model when it is removed', () => {
    const put = db.prepare('INSERT INTO model_quality (model_id, ppl, tokens, reference_ppl, measured_at) VALUES (?, ?, ?, ?, 1)');
    put.run('m1', 120.5, 39776, 120.2);
    expect(() => put.run('m1', 1, 1, null)).toThrow(/UNIQUE|PRIMARY/);
    expect(() => put.run('nope', 1, 1, null)).toThrow(/FOREIGN KEY/);
    db.prepare("DELETE FROM models WHERE id = 'm1'").run();
    expect(db.prepare('SELECT COUNT(*) AS n FROM model_quality').get()).toEqual({ n: 0 });
    expect(() => db.prepare("INSERT INTO models (id, name, path, codec, architecture, params, file_bytes, builtin, added_at) VALUES ('m2','x','/x','q8','llama',1,1,0,1)").run()).not.toThrow();
    expect(() => put.run('m2', -1, 1, null)).toThrow(/CHECK/);
  });
});
