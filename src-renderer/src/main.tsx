import './lib/no-eval';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { applyStoredTheme } from './hooks/useTheme';
import { installErrorReporting } from './lib/report-errors';
import './styles.css';

applyStoredTheme();
installErrorReporting();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
