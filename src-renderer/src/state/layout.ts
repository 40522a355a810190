// Widths of the two side panels, changed by dragging their edges (or with the arrow keys on the
// edge), kept in localStorage: the desktop app keeps it in its data folder, a browser per origin.
import { create } from 'zustand';
import { persist } from 'zustand/middleware';

export const PANEL_LIMITS = {
  sidebar: { min: 200, max: 480, initial: 256 },
  right: { min: 260, max: 560, initial: 320 },
} as const;
export type PanelName = keyof typeof PANEL_LIMITS;

export const clampWidth = (panel: PanelName, px: number): number => {
  const { min, max } = PANEL_LIMITS[panel];
  return Math.round(Math.min(max, Math.max(min, Number.isFinite(px) ? px : PANEL_LIMITS[panel].initial)));
};

interface LayoutState {
  widths: Record<PanelName, number>;
  setWidth(panel: PanelName, px: number): void;
  resetWidth(panel: PanelName): void;
}

export const LAYOUT_STORAGE_KEY = 'qins.layout';

export const useLayout = create<LayoutState>()(
  persist(
    (set) => ({
      widths: { sidebar: PANEL_LIMITS.sidebar.initial, right: PANEL_LIMITS.right.initial },
      setWidth: (panel, px) => set((s) => ({ widths: { ...s.widths, [panel]: clampWidth(panel, px) } })),
      resetWidth: (panel) => set((s) => ({ widths: { ...s.widths, [panel]: PANEL_LIMITS[panel].initial } })),
    }),
    {
      name: LAYOUT_STORAGE_KEY,
      version: 1,
      partialize: (s) => ({ widths: s.widths }),
      // A stored value from elsewhere (edited, or older limits) is brought back into range.
      merge: (stored, current) => {
        const w = (stored as { widths?: Partial<Record<PanelName, number>> } | undefined)?.widths ?? {};
        return { ...current, widths: { sidebar: clampWidth('sidebar', w.sidebar ?? current.widths.sidebar), right: clampWidth('right', w.right ?? current.widths.right) } };
      },
    },
  ),
);
