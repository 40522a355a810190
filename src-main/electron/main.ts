// Electron main process entry (filled in by the app shell).
import { app } from 'electron';

void app.whenReady();
