// The Hugging Face token saved by the desktop app: encrypted with the system keychain through
// Electron's safeStorage (macOS Keychain, Windows DPAPI, the Linux secret service), stored as
// ciphertext in the data folder, never in plain text. Where safeStorage has no real keychain (Linux
// without a secret service falls back to a fixed key, "basic_text"), the app does not offer to save
// one: HF_TOKEN or `huggingface-cli login` still work.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { safeStorage } from 'electron';
import type { TokenStore } from '../core/hub/env.js';

function keychainAvailable(): boolean {
  if (!safeStorage.isEncryptionAvailable()) return false;
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') return false;
  return true;
}

export function safeStorageTokenStore(file: string): TokenStore {
  return {
    get canSave() {
      return keychainAvailable();
    },
    get() {
      try {
        return safeStorage.decryptString(readFileSync(file)) || null;
      } catch {
        return null; // none saved, or not readable with this keychain
      }
    },
    set(token) {
      if (token === null) return void rmSync(file, { force: true });
      if (!keychainAvailable()) throw new Error('no system keychain to encrypt the token with');
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, safeStorage.encryptString(token), { mode: 0o600 });
      renameSync(tmp, file);
    },
  };
}
