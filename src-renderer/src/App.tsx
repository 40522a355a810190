import { ChatPane } from './components/chat/ChatPane';
import { SettingsPanel } from './components/layout/SettingsPanel';
import { Sidebar } from './components/layout/Sidebar';
import { useEngineStatus } from './hooks/useEngineStatus';
import { useTheme } from './hooks/useTheme';

export function App() {
  const [theme, setTheme] = useTheme();
  const engine = useEngineStatus();
  return (
    <div className="flex h-full">
      <Sidebar engine={engine} />
      <ChatPane />
      <SettingsPanel theme={theme} onTheme={setTheme} />
    </div>
  );
}
