// The settings table (key → JSON value, validated field by field) and the sampling presets.
import { randomUUID } from 'node:crypto';
import type { StoreContext } from './context.js';
import { StoreError } from './db.js';
import { type PresetRow, toPreset } from './rows.js';
import { type Preset, SamplingSettings, type SamplingSettingsInput, Settings, SETTINGS_KEYS, SettingsPatch } from '../../../src-shared/records.js';

export function getSettings(ctx: StoreContext): Settings {
  const rows = ctx.sql('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>;
  const stored: Record<string, unknown> = {};
  for (const { key, value } of rows) {
    const field = Settings.shape[key as keyof Settings];
    if (!field) continue;
    const parsed = field.safeParse(JSON.parse(value));
    if (parsed.success) stored[key] = parsed.data;
  }
  return Settings.parse(stored);
}

export function updateSettings(ctx: StoreContext, patch: SettingsPatch): Settings {
  const p = SettingsPatch.parse(patch);
  const put = ctx.sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  ctx.tx(() => {
    for (const key of SETTINGS_KEYS) {
      // Only the keys the patch names: parsing fills the others with their defaults, which must not
      // overwrite what is stored.
      if (Object.hasOwn(patch, key) && p[key] !== undefined) put.run(key, JSON.stringify(p[key]));
    }
  });
  return getSettings(ctx);
}

export function listPresets(ctx: StoreContext): Preset[] {
  return (ctx.sql('SELECT * FROM presets ORDER BY name COLLATE NOCASE').all() as PresetRow[]).map(toPreset);
}

export function savePreset(
  ctx: StoreContext,
  input: { id?: string; name: string; systemPrompt?: string; sampling?: SamplingSettingsInput },
): Preset {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) throw new StoreError('BAD_INPUT', 'a preset needs a name (1-200 characters)');
  const sampling = SamplingSettings.parse(input.sampling ?? {});
  const t = ctx.now();
  const id = input.id ?? randomUUID();
  try {
    ctx
      .sql(
        `INSERT INTO presets (id, name, system_prompt, sampling, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, system_prompt = excluded.system_prompt,
           sampling = excluded.sampling, updated_at = excluded.updated_at`,
      )
      .run(id, name, input.systemPrompt ?? '', JSON.stringify(sampling), t, t);
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new StoreError('CONFLICT', `a preset named "${name}" already exists`);
    }
    throw e;
  }
  return toPreset(ctx.sql('SELECT * FROM presets WHERE id = ?').get(id) as PresetRow);
}

export function deletePreset(ctx: StoreContext, id: string): boolean {
  return ctx.sql('DELETE FROM presets WHERE id = ?').run(id).changes > 0;
}
