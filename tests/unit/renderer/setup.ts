// jsdom lacks a few browser APIs the components use; these stand-ins are enough for tests.
import { afterEach, vi } from 'vitest';
import { cleanup } from '@testing-library/react';

class ResizeObserverStub {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
globalThis.ResizeObserver ??= ResizeObserverStub as unknown as typeof ResizeObserver;
window.matchMedia ??= ((query: string) =>
  ({
    matches: query.includes('min-width'),
    media: query,
    onchange: null,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    addListener: () => undefined,
    removeListener: () => undefined,
    dispatchEvent: () => false,
  }) as unknown as MediaQueryList);
Element.prototype.scrollIntoView ??= function scrollIntoView() {};
// jsdom has no layout: the virtualized conversation list (ConversationList) gets a 600 px viewport
// and each of its rows 36 px, so it renders what a real window would.
const clientHeight = Object.getOwnPropertyDescriptor(Element.prototype, 'clientHeight')!;
Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
  configurable: true,
  get(this: HTMLElement) {
    return this.dataset.testid === 'conversation-list' ? 600 : (clientHeight.get!.call(this) as number);
  },
});
const offsetHeight = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'offsetHeight')!;
Object.defineProperty(HTMLElement.prototype, 'offsetHeight', {
  configurable: true,
  get(this: HTMLElement) {
    return this.dataset.index !== undefined && this.closest('[data-testid="conversation-list"]') ? 36 : (offsetHeight.get!.call(this) as number);
  },
});
globalThis.CSS ??= {} as typeof CSS;
CSS.escape ??= (s: string) => s.replace(/["\\]/g, '\\$&');
if (typeof HTMLDialogElement !== 'undefined') {
  HTMLDialogElement.prototype.showModal ??= function showModal(this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close ??= function close(this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
}

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});
