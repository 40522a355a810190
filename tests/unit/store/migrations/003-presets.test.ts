import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion, type Db } from '../../../../src-main/core/store/db.js';
import { MIGRATIONS } from '../../../../src-main/core/store/migrations/index.js';
import { columns, isStrict } from '../helpers.js';

describe('migration 003: presets', () => {
  let db: Db;
  beforeEach(() => {
    db = openDatabase(':memory:', { migrations: MIGRATIONS.slice(0, 2) });
    db.prepare("INSERT INTO settings (key, value) VALUES ('theme', '\"dark\"')").run();
    migrate(db, MIGRATIONS.slice(0, 3));
  });
  afterEach(() => db.close());

  it('adds a STRICT presets table and keeps existing data', () => {
    expect(schemaVersion(db)).toBe(3);
    expect(isStrict(db, 'presets')).toBe(true);
    expect(columns(db, 'presets').map((c) => c.name)).toEqual([
      'seq', 'id', 'name', 'system_prompt', 'sampling', 'created_at', 'updated_at',
    ]);
    expect(db.prepare('SELECT value FROM settings WHERE key = ?').get('theme')).toEqual({ value: '"dark"' });
  });

  it('requires unique names and JSON sampling', () => {
    const put = db.prepare(
      'INSERT INTO presets (id, name, sampling, created_at, updated_at) VALUES (?, ?, ?, 1, 1)',
    );
    put.run('p1', 'Precise', '{"temperature":0.2}');
    expect(() => put.run('p2', 'Precise', '{}')).toThrow(/UNIQUE/);
    expect(() => put.run('p3', 'Loose', 'temperature=1')).toThrow(/CHECK/);
  });
});
