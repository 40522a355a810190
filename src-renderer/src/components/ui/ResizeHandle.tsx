// The draggable edge of a side panel: a vertical separator (pointer drag, arrow keys in steps of
// 16 px, Home/End for the limits, double-click for the initial width).
import { useRef } from 'react';
import { cn } from '../../lib/cn';
import { PANEL_LIMITS, type PanelName, useLayout } from '../../state/layout';

const STEP = 16;

export function ResizeHandle({ panel, edge, label }: { panel: PanelName; edge: 'left' | 'right'; label: string }) {
  const width = useLayout((s) => s.widths[panel]);
  const drag = useRef<{ x: number; width: number } | null>(null);
  // Dragging the right edge of a left panel to the right widens it; the left edge of a right panel, the other way.
  const sign = edge === 'right' ? 1 : -1;
  const { min, max } = PANEL_LIMITS[panel];
  const set = (px: number) => useLayout.getState().setWidth(panel, px);
  return (
    <div
      role="separator"
      aria-orientation="vertical"
      aria-label={label}
      aria-valuenow={width}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      className={cn(
        'absolute inset-y-0 z-10 w-1.5 cursor-col-resize touch-none outline-none hover:bg-indigo-500/30 focus-visible:bg-indigo-500/50',
        edge === 'right' ? '-right-0.75' : '-left-0.75',
      )}
      onPointerDown={(e) => {
        e.preventDefault();
        e.currentTarget.setPointerCapture?.(e.pointerId);
        drag.current = { x: e.clientX, width };
      }}
      onPointerMove={(e) => {
        if (drag.current) set(drag.current.width + sign * (e.clientX - drag.current.x));
      }}
      onPointerUp={() => (drag.current = null)}
      onPointerCancel={() => (drag.current = null)}
      onDoubleClick={() => useLayout.getState().resetWidth(panel)}
      onKeyDown={(e) => {
        const by = e.key === 'ArrowRight' ? STEP * sign : e.key === 'ArrowLeft' ? -STEP * sign : 0;
        if (by !== 0) set(width + by);
        else if (e.key === 'Home') set(min);
        else if (e.key === 'End') set(max);
        else return;
        e.preventDefault();
      }}
    />
  );
}
