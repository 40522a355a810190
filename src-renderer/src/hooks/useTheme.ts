// Light / dark / system theme. The setting lives in the store (settings.theme); localStorage keeps
// a copy so the first paint already has the right colours.
import { useCallback, useEffect } from 'react';
import { useApp } from '../state/app';

export type ThemeSetting = 'light' | 'dark' | 'system';
const KEY = 'qins.theme';

function systemDark(): boolean {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
}

function apply(setting: ThemeSetting): void {
  const dark = setting === 'dark' || (setting === 'system' && systemDark());
  document.documentElement.classList.toggle('dark', dark);
  document.documentElement.style.colorScheme = dark ? 'dark' : 'light';
}

function stored(): ThemeSetting {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' || v === 'system' ? v : 'system';
  } catch {
    return 'system';
  }
}

function remember(t: ThemeSetting): void {
  try {
    localStorage.setItem(KEY, t);
  } catch {
    // private mode: the store still has it
  }
}

/** Applies the remembered theme before React renders (no flash of the wrong theme). */
export function applyStoredTheme(): void {
  apply(stored());
}

export function useTheme(): [ThemeSetting, (t: ThemeSetting) => void] {
  const fromSettings = useApp((s) => s.settings?.theme);
  const theme = fromSettings ?? stored();
  useEffect(() => {
    apply(theme);
    remember(theme);
    if (theme !== 'system' || !window.matchMedia) return;
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => apply('system');
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, [theme]);
  const setTheme = useCallback((t: ThemeSetting) => {
    remember(t);
    apply(t);
    void useApp.getState().updateSettings({ theme: t });
  }, []);
  return [theme, setTheme];
}
