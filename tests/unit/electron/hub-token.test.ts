// The desktop app's Hugging Face token: encrypted with safeStorage, never written in plain text,
// not offered where the keychain is only Linux's fixed-key fallback.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./fake-electron.js'));
const fake = await import('./fake-electron.js');
const { safeStorageTokenStore } = await import('../../../src-main/electron/hub-token.js');

const dir = mkdtempSync(join(tmpdir(), 'qins-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('safeStorage token store', () => {
  it('saves the token encrypted (owner-only file), reads it back, forgets it', () => {
    const file = join(dir, 'hf-token.enc');
    const store = safeStorageTokenStore(file);
    expect(store.canSave).toBe(true);
    expect(store.get()).toBeNull();
    store.set('hf_secret12345');
    const raw = readFileSync(file);
    expect(raw.includes(Buffer.from('hf_secret12345'))).toBe(false);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o077).toBe(0);
    expect(store.get()).toBe('hf_secret12345');
    store.set(null);
    expect(existsSync(file)).toBe(false);
    expect(store.get()).toBeNull();
  });

  it('a file the keychain cannot decrypt reads as no token', () => {
    const file = join(dir, 'garbage.enc');
    writeFileSync(file, 'not ciphertext');
    expect(safeStorageTokenStore(file).get()).toBeNull();
  });

  it('offers no saving without a real keychain (unavailable, or the basic_text fallback on Linux)', () => {
    const store = safeStorageTokenStore(join(dir, 'x.enc'));
    fake.safeStorage.available = false;
    expect(store.canSave).toBe(false);
    expect(() => store.set('hf_secret12345')).toThrow(/keychain/);
    fake.safeStorage.available = true;
    fake.safeStorage.backend = 'basic_text';
    expect(store.canSave).toBe(process.platform !== 'linux');
    fake.safeStorage.backend = 'gnome_libsecret';
  });
});
