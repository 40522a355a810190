// App-wide UI state: the current view, panels, notices, settings, presets and the API status.
import { create } from 'zustand';
import type { ApiStatus, AppInfo, Preset, Settings } from '../../../src-shared/contract';
import { type ReadableError, readable } from '../lib/errors';
import { qins } from '../lib/qins';
import { type Route, formatRoute, parseRoute } from '../lib/route';

export interface Notice {
  id: number;
  kind: 'error' | 'info' | 'success';
  title: string;
  message?: string;
}

export type RightTab = 'parameters' | 'telemetry';

interface AppState {
  route: Route;
  /** The side panels when the window is too narrow to show them docked. */
  sidebarOpen: boolean;
  rightOpen: boolean;
  rightTab: RightTab;
  searchOpen: boolean;
  notices: Notice[];
  settings: Settings | null;
  presets: Preset[];
  api: ApiStatus | null;
  info: AppInfo | null;

  navigate(route: Route, options?: { replace?: boolean }): void;
  syncFromLocation(): void;
  setSidebarOpen(open: boolean): void;
  setRightOpen(open: boolean): void;
  setRightTab(tab: RightTab): void;
  setSearchOpen(open: boolean): void;
  notify(n: Omit<Notice, 'id'>): void;
  notifyError(e: unknown, title?: string): ReadableError;
  dismiss(id: number): void;
  loadSettings(): Promise<void>;
  updateSettings(patch: Partial<Settings>): Promise<void>;
  loadPresets(): Promise<void>;
  loadApi(): Promise<void>;
  setApiEnabled(enabled: boolean): Promise<void>;
  regenerateApiToken(): Promise<void>;
}

let nextNotice = 1;

export const useApp = create<AppState>((set, get) => ({
  route: parseRoute(typeof location === 'undefined' ? '' : location.hash),
  sidebarOpen: false,
  rightOpen: false,
  rightTab: 'parameters',
  searchOpen: false,
  notices: [],
  settings: null,
  presets: [],
  api: null,
  info: null,

  navigate(route, options) {
    const hash = formatRoute(route);
    if (location.hash !== hash) {
      if (options?.replace) history.replaceState(history.state, '', hash);
      else history.pushState(history.state, '', hash);
    }
    set({ route, sidebarOpen: false });
  },
  syncFromLocation() {
    set({ route: parseRoute(location.hash) });
  },
  setSidebarOpen: (sidebarOpen) => set({ sidebarOpen }),
  setRightOpen: (rightOpen) => set({ rightOpen }),
  setRightTab: (rightTab) => set({ rightTab }),
  setSearchOpen: (searchOpen) => set({ searchOpen }),
  notify(n) {
    const id = nextNotice++;
    set((s) => ({ notices: [...s.notices.slice(-3), { ...n, id }] }));
    if (n.kind !== 'error') setTimeout(() => get().dismiss(id), 4000);
  },
  notifyError(e, title) {
    const r = readable(e);
    get().notify({ kind: 'error', title: title ?? r.title, message: r.message });
    return r;
  },
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),

  async loadSettings() {
    const [settings, info] = await Promise.all([qins.invoke('settings.get', {}), qins.invoke('app.info', {})]);
    set({ settings, info });
  },
  async updateSettings(patch) {
    const prev = get().settings;
    if (prev) set({ settings: { ...prev, ...patch } });
    try {
      set({ settings: await qins.invoke('settings.update', patch) });
    } catch (e) {
      if (prev) set({ settings: prev });
      get().notifyError(e, 'Could not save the setting');
    }
  },
  async loadPresets() {
    set({ presets: await qins.invoke('presets.list', {}) });
  },
  async loadApi() {
    set({ api: await qins.invoke('api.status', {}) });
  },
  async setApiEnabled(enabled) {
    try {
      set({ api: await qins.invoke('api.setEnabled', { enabled }) });
    } catch (e) {
      get().notifyError(e, enabled ? 'Could not start the API' : 'Could not stop the API');
    }
  },
  async regenerateApiToken() {
    try {
      set({ api: await qins.invoke('api.regenerateToken', {}) });
      get().notify({ kind: 'success', title: 'New API token', message: 'Clients that used the old token need the new one.' });
    } catch (e) {
      get().notifyError(e, 'Could not make a new token');
    }
  },
}));
