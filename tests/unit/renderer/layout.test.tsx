// @vitest-environment jsdom
// Panel widths: the sidebar's and the chat settings panel's edges resize them (pointer, arrow keys,
// Home/End, double-click to reset), within limits, and the widths are kept across reloads.
import './setup';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { handle, resetFake } from './fake-qins';

vi.mock('../../../src-renderer/src/lib/qins', () => import('./mock-qins'));
const { Sidebar } = await import('../../../src-renderer/src/components/layout/Sidebar');
const { RightPanel } = await import('../../../src-renderer/src/components/layout/RightPanel');
const { useConversations } = await import('../../../src-renderer/src/state/conversations');
const { LAYOUT_STORAGE_KEY, PANEL_LIMITS, useLayout } = await import('../../../src-renderer/src/state/layout');

const stored = () => (JSON.parse(localStorage.getItem(LAYOUT_STORAGE_KEY) ?? '{}') as { state?: { widths?: Record<string, number> } }).state?.widths;

beforeEach(() => {
  resetFake();
  handle('conversations.list', () => []);
  useConversations.setState({ list: [], loaded: true });
  useLayout.setState({ widths: { sidebar: PANEL_LIMITS.sidebar.initial, right: PANEL_LIMITS.right.initial } });
});

describe('panel widths', () => {
  it('the sidebar edge resizes it with keys, within its limits, and the width is stored', () => {
    render(<Sidebar engine={null} overlay={false} onNewChat={() => undefined} />);
    const edge = screen.getByRole('separator', { name: 'Resize the sidebar' });
    const aside = screen.getByRole('complementary', { name: 'Sidebar' });
    expect(aside.style.width).toBe('256px');
    fireEvent.keyDown(edge, { key: 'ArrowRight' });
    fireEvent.keyDown(edge, { key: 'ArrowRight' });
    expect(edge.getAttribute('aria-valuenow')).toBe('288');
    expect(aside.style.width).toBe('288px');
    expect(stored()).toEqual({ sidebar: 288, right: 320 });
    fireEvent.keyDown(edge, { key: 'End' });
    expect(aside.style.width).toBe('480px');
    fireEvent.keyDown(edge, { key: 'ArrowRight' });
    expect(aside.style.width).toBe('480px');
    fireEvent.keyDown(edge, { key: 'Home' });
    expect(aside.style.width).toBe('200px');
    fireEvent.doubleClick(edge);
    expect(aside.style.width).toBe('256px');
  });

  it('dragging the chat panel\'s left edge to the left widens it', () => {
    render(<RightPanel overlay={false} />);
    const edge = screen.getByRole('separator', { name: 'Resize the chat settings panel' });
    fireEvent.pointerDown(edge, { clientX: 1000, pointerId: 1 });
    fireEvent.pointerMove(edge, { clientX: 900, pointerId: 1 });
    fireEvent.pointerUp(edge, { pointerId: 1 });
    fireEvent.pointerMove(edge, { clientX: 100, pointerId: 1 }); // after release: nothing
    expect(useLayout.getState().widths.right).toBe(420);
    expect(screen.getByRole('complementary', { name: 'Chat settings' }).style.width).toBe('420px');
  });

  it('no edge on a panel that slides over the content', () => {
    render(<Sidebar engine={null} overlay onNewChat={() => undefined} />);
    expect(screen.queryByRole('separator')).toBeNull();
  });

  it('reads stored widths back on start, bringing out-of-range ones into range', async () => {
    localStorage.setItem(LAYOUT_STORAGE_KEY, JSON.stringify({ state: { widths: { sidebar: 9999, right: 300 } }, version: 1 }));
    await act(async () => {
      await useLayout.persist.rehydrate();
    });
    expect(useLayout.getState().widths).toEqual({ sidebar: 480, right: 300 });
    localStorage.setItem(LAYOUT_STORAGE_KEY, 'not json');
    await act(async () => {
      await useLayout.persist.rehydrate();
    });
    expect(useLayout.getState().widths.sidebar).toBeGreaterThanOrEqual(200);
  });
});
