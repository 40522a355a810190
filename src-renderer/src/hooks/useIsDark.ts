import { useSyncExternalStore } from 'react';

/** Whether the dark theme is applied (the `dark` class on <html>). */
export function useIsDark(): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const mo = new MutationObserver(onChange);
      mo.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
      return () => mo.disconnect();
    },
    () => document.documentElement.classList.contains('dark'),
    () => false,
  );
}
