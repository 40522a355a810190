// Full-text search over every conversation (Ctrl/Cmd+K): results with highlighted snippets; arrows
// move, Enter opens the conversation at the matching message.
import { MessageSquare, Search } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { type SearchHit, splitSnippet } from '../../../../src-shared/records';
import { cn } from '../../lib/cn';
import { formatRelative } from '../../lib/format';
import { qins } from '../../lib/qins';
import { useApp } from '../../state/app';
import { useChat } from '../../state/chat';
import { Dialog } from '../ui/Dialog';

export function Snippet({ text }: { text: string }) {
  return (
    <>
      {splitSnippet(text).map((p, i) =>
        p.highlight ? (
          <mark key={i} className="rounded-sm bg-amber-200/80 px-0.5 text-zinc-900 dark:bg-amber-400/30 dark:text-amber-100">
            {p.text}
          </mark>
        ) : (
          <span key={i}>{p.text}</span>
        ),
      )}
    </>
  );
}

export function openHit(hit: Pick<SearchHit, 'conversationId' | 'messageId'>): void {
  useApp.getState().navigate({ view: 'chat', conversationId: hit.conversationId });
  void useChat.getState().open(hit.conversationId, { focusMessageId: hit.messageId });
}

export function SearchDialog() {
  const open = useApp((s) => s.searchOpen);
  const setOpen = useApp((s) => s.setSearchOpen);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const listRef = useRef<HTMLUListElement>(null);

  useEffect(() => {
    if (!open) return;
    const q = query.trim();
    if (!q) {
      setHits([]);
      setError(null);
      return;
    }
    let stale = false;
    setSearching(true);
    const t = setTimeout(async () => {
      try {
        const r = await qins.invoke('conversations.search', { query: q, limit: 30 });
        if (stale) return;
        setHits(r);
        setActive(0);
        setError(null);
      } catch (e) {
        if (!stale) setError(e instanceof Error ? e.message.replace(/^[A-Z_]+: /, '') : String(e));
      } finally {
        if (!stale) setSearching(false);
      }
    }, 150);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [query, open]);

  useEffect(() => {
    listRef.current?.querySelector(`[data-index="${active}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [active]);

  const close = () => {
    setOpen(false);
    setQuery('');
    setHits([]);
  };
  const choose = (hit: SearchHit | undefined) => {
    if (!hit) return;
    close();
    openHit(hit);
  };

  return (
    <Dialog open={open} onClose={close} title="Search conversations" hideTitle className="w-[min(40rem,calc(100vw-2rem))] self-start mt-[12vh]">
      <div className="-mx-5 -mt-4">
        <div className="flex items-center gap-3 border-b border-zinc-200 px-4 dark:border-zinc-800">
          <Search size={18} className="shrink-0 text-zinc-500" aria-hidden />
          <input
            data-autofocus
            type="search"
            role="combobox"
            aria-label="Search conversations"
            aria-expanded={hits.length > 0}
            aria-controls="search-results"
            aria-activedescendant={hits[active] ? `search-hit-${active}` : undefined}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'ArrowDown') {
                e.preventDefault();
                setActive((a) => Math.min(hits.length - 1, a + 1));
              } else if (e.key === 'ArrowUp') {
                e.preventDefault();
                setActive((a) => Math.max(0, a - 1));
              } else if (e.key === 'Enter') {
                e.preventDefault();
                choose(hits[active]);
              } else if (e.key === 'Escape') {
                // A search field's Esc would only clear the text: close the dialog instead.
                e.preventDefault();
                close();
              }
            }}
            placeholder="Search every message…"
            className="h-12 flex-1 bg-transparent text-[15px] outline-none placeholder:text-zinc-500 focus-visible:outline-none"
          />
        </div>
        <ul id="search-results" ref={listRef} role="listbox" aria-label="Results" className="max-h-[50vh] overflow-y-auto p-2">
          {hits.map((h, i) => (
            <li
              key={`${h.conversationId}-${h.messageId ?? 'title'}`}
              id={`search-hit-${i}`}
              data-index={i}
              role="option"
              aria-selected={i === active}
              onMouseEnter={() => setActive(i)}
              onClick={() => choose(h)}
              className={cn('cursor-pointer rounded-lg px-3 py-2.5', i === active ? 'bg-zinc-100 dark:bg-zinc-800' : '')}
            >
              <div className="flex items-center gap-2 text-sm font-medium">
                <MessageSquare size={14} className="shrink-0 text-zinc-500" aria-hidden />
                <span className="truncate">{h.title}</span>
                <span className="ml-auto shrink-0 text-[11px] font-normal text-zinc-600 dark:text-zinc-400">
                  {h.matches > 1 ? `${h.matches} matches · ` : ''}
                  {formatRelative(h.updatedAt)}
                </span>
              </div>
              <p className="mt-1 line-clamp-2 text-[13px] text-zinc-600 dark:text-zinc-400" data-testid="search-snippet">
                <Snippet text={h.snippet} />
              </p>
            </li>
          ))}
        </ul>
        <p className="border-t border-zinc-200 px-4 py-2 text-xs text-zinc-600 dark:border-zinc-800 dark:text-zinc-400" role="status">
          {error ? error : !query.trim() ? 'Type to search titles and messages of every conversation.' : searching ? 'Searching…' : hits.length === 0 ? 'No matches.' : `${hits.length} conversation${hits.length === 1 ? '' : 's'} · Enter to open`}
        </p>
      </div>
    </Dialog>
  );
}
