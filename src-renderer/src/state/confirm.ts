// One confirmation dialog for the whole app: `await confirm({...})` resolves true when confirmed.
import type { ReactNode } from 'react';
import { create } from 'zustand';

export interface ConfirmRequest {
  title: string;
  description: ReactNode;
  confirmLabel: string;
}

interface ConfirmState {
  request: (ConfirmRequest & { resolve: (ok: boolean) => void }) | null;
  answer(ok: boolean): void;
}

export const useConfirm = create<ConfirmState>((set, get) => ({
  request: null,
  answer(ok) {
    const r = get().request;
    set({ request: null });
    r?.resolve(ok);
  },
}));

export function confirm(request: ConfirmRequest): Promise<boolean> {
  useConfirm.getState().request?.resolve(false);
  return new Promise((resolve) => useConfirm.setState({ request: { ...request, resolve } }));
}
