// The macOS entitlements: a well-formed property list granting only what the app needs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectDir } from './builder.js';

// the same plist parser electron-builder uses
const plist = createRequire(join(projectDir, 'package.json'))('plist') as { parse(xml: string): unknown };

describe('assets/entitlements.mac.plist', () => {
  const xml = readFileSync(join(projectDir, 'assets', 'entitlements.mac.plist'), 'utf8');

  it('parses as a property list', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(xml).toContain('<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"');
    expect(typeof plist.parse(xml)).toBe('object');
  });

  it('grants exactly JIT memory for V8 and nothing else', () => {
    expect(plist.parse(xml)).toEqual({ 'com.apple.security.cs.allow-jit': true });
  });

  it('in particular: no sandbox, devices, network server or weakened library validation', () => {
    const keys = Object.keys(plist.parse(xml) as object);
    for (const forbidden of [
      'com.apple.security.app-sandbox',
      'com.apple.security.network.server',
      'com.apple.security.network.client',
      'com.apple.security.device.camera',
      'com.apple.security.device.audio-input',
      'com.apple.security.personal-information.location',
      'com.apple.security.cs.disable-library-validation',
      'com.apple.security.cs.allow-dyld-environment-variables',
    ])
      expect(keys).not.toContain(forbidden);
  });
});
