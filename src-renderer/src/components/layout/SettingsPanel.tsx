import type { ThemeSetting } from '../../hooks/useTheme';
import { Segmented } from '../ui/Segmented';
import { TelemetryPanel } from './TelemetryPanel';

export function SettingsPanel({ theme, onTheme }: { theme: ThemeSetting; onTheme: (t: ThemeSetting) => void }) {
  return (
    <aside aria-label="Settings" className="hidden w-80 shrink-0 flex-col gap-6 overflow-y-auto border-l border-zinc-200 p-4 lg:flex dark:border-zinc-800">
      <section className="space-y-2">
        <h2 className="text-sm font-semibold">Appearance</h2>
        <Segmented
          label="Theme"
          value={theme}
          onChange={onTheme}
          options={[
            { value: 'light', label: 'Light' },
            { value: 'dark', label: 'Dark' },
            { value: 'system', label: 'System' },
          ]}
        />
      </section>
      <TelemetryPanel />
    </aside>
  );
}
