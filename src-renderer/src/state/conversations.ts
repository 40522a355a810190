// The conversation list of the sidebar, and the actions on whole conversations.
import { create } from 'zustand';
import type { ConversationSummary, ExportFormat, ImportResult } from '../../../src-shared/contract';
import { downloadText } from '../lib/download';
import { qins } from '../lib/qins';

interface ConversationsState {
  list: ConversationSummary[];
  loaded: boolean;
  refresh(): Promise<void>;
  rename(id: string, title: string): Promise<void>;
  remove(id: string): Promise<void>;
  /** Downloads one conversation (or all of them when `ids` is omitted). */
  exportAs(format: ExportFormat, ids?: string[]): Promise<string>;
  importJson(content: string): Promise<ImportResult>;
}

/** Conversations fetched per request when the list is loaded. */
export const LIST_PAGE = 2000;

export const useConversations = create<ConversationsState>((set, get) => ({
  list: [],
  loaded: false,
  async refresh() {
    // Every conversation, a page at a time (the sidebar renders only the rows in view).
    const list: ConversationSummary[] = [];
    for (;;) {
      const page = await qins.invoke('conversations.list', { limit: LIST_PAGE, offset: list.length });
      list.push(...page);
      if (page.length < LIST_PAGE) break;
    }
    set({ list, loaded: true });
  },
  async rename(id, title) {
    set((s) => ({ list: s.list.map((c) => (c.id === id ? { ...c, title } : c)) }));
    await qins.invoke('conversations.update', { id, patch: { title } });
    await get().refresh();
  },
  async remove(id) {
    await qins.invoke('conversations.delete', { id });
    set((s) => ({ list: s.list.filter((c) => c.id !== id) }));
  },
  async exportAs(format, ids) {
    const file = await qins.invoke('conversations.export', ids ? { ids, format } : { format });
    downloadText(file.filename, file.mime, file.content);
    return file.filename;
  },
  async importJson(content) {
    const r = await qins.invoke('conversations.import', { content });
    await get().refresh();
    return r;
  },
}));

/** Debounced refresh for bursts of conversations.changed events. */
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
export function scheduleListRefresh(delayMs = 150): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void useConversations.getState().refresh().catch(() => undefined), delayMs);
}
