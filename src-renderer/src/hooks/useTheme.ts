import { useCallback, useEffect, useState } from 'react';

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
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' || v === 'system' ? v : 'system';
}

/** Applies the stored theme before React renders (no flash of the wrong theme). */
export function applyStoredTheme(): void {
  apply(stored());
}

export function useTheme(): [ThemeSetting, (t: ThemeSetting) => void] {
  const [theme, setThemeState] = useState<ThemeSetting>(stored);
  useEffect(() => {
    apply(theme);
    if (theme !== 'system') return;
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => apply('system');
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, [theme]);
  const setTheme = useCallback((t: ThemeSetting) => {
    localStorage.setItem(KEY, t);
    setThemeState(t);
  }, []);
  return [theme, setTheme];
}
