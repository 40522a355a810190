// The sidebar's conversation list, grouped by day (Today, Yesterday, …) and virtualized
// (@tanstack/react-virtual): every conversation is in the list, only the rows in view (plus a few)
// are in the DOM, so thousands scroll as smoothly as ten.
import { useVirtualizer } from '@tanstack/react-virtual';
import { MessageSquare } from 'lucide-react';
import { useEffect, useMemo, useRef } from 'react';
import type { ConversationSummary } from '../../../../src-shared/contract';
import { dayGroup } from '../../lib/format';
import { ConversationItem } from './ConversationItem';

type Row = { kind: 'group'; label: string } | { kind: 'item'; c: ConversationSummary };

/** Day headings and conversations in display order (the list comes newest first). */
export function listRows(list: readonly ConversationSummary[], group: (t: number) => string = dayGroup): Row[] {
  const rows: Row[] = [];
  let last: string | undefined;
  for (const c of list) {
    const g = group(c.updatedAt);
    if (g !== last) rows.push({ kind: 'group', label: g });
    last = g;
    rows.push({ kind: 'item', c });
  }
  return rows;
}

const HEADING_PX = 28;
const ITEM_PX = 37;

export function ConversationList({ list, loaded, activeId, streaming }: { list: ConversationSummary[]; loaded: boolean; activeId: string | null; streaming: Set<string> }) {
  const scroller = useRef<HTMLElement>(null);
  const rows = useMemo(() => listRows(list), [list]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => (rows[i]?.kind === 'group' ? HEADING_PX : ITEM_PX),
    getItemKey: (i) => {
      const r = rows[i]!;
      return r.kind === 'group' ? `g:${r.label}` : r.c.id;
    },
    overscan: 10,
  });

  // The open conversation stays reachable: scroll it into view when it changes.
  const activeIndex = activeId ? rows.findIndex((r) => r.kind === 'item' && r.c.id === activeId) : -1;
  useEffect(() => {
    if (activeIndex >= 0) virtualizer.scrollToIndex(activeIndex, { align: 'auto' });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the active row changes
  }, [activeId]);

  return (
    <nav ref={scroller} aria-label="Conversations" className="mt-3 min-h-0 flex-1 overflow-y-auto px-2 pb-2" data-testid="conversation-list" data-count={list.length}>
      {loaded && list.length === 0 ? (
        <div className="mx-2 mt-4 rounded-lg border border-dashed border-zinc-300 px-3 py-5 text-center dark:border-zinc-700">
          <MessageSquare size={18} className="mx-auto mb-2 text-zinc-400" aria-hidden />
          <p className="text-xs text-zinc-600 dark:text-zinc-400">Your conversations will appear here.</p>
        </div>
      ) : null}
      <ul className="relative" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((v) => {
          const row = rows[v.index]!;
          const style = { position: 'absolute', top: v.start, left: 0, right: 0 } as const;
          if (row.kind === 'group')
            return (
              <li key={v.key} data-index={v.index} ref={virtualizer.measureElement} style={style} className="pb-1">
                <h2 className="px-2.5 pt-3 pb-0 text-[11px] font-medium text-zinc-500 dark:text-zinc-400">{row.label}</h2>
              </li>
            );
          return (
            <ConversationItem
              key={v.key}
              c={row.c}
              active={row.c.id === activeId}
              streaming={streaming.has(row.c.id)}
              row={{ style: { ...style, paddingBottom: 1 }, 'data-index': v.index, ref: virtualizer.measureElement }}
            />
          );
        })}
      </ul>
    </nav>
  );
}
