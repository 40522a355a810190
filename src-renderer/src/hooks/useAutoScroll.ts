// Keeps a scroll container pinned to the bottom while its content grows, until the person scrolls
// up; `jump()` pins it again.
import { type RefObject, useCallback, useEffect, useRef, useState } from 'react';

const SLACK_PX = 48;

export function useAutoScroll(container: RefObject<HTMLElement | null>, content: RefObject<HTMLElement | null>) {
  const stick = useRef(true);
  const [atBottom, setAtBottom] = useState(true);

  const toBottom = useCallback(() => {
    const el = container.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [container]);

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    // Only the reader unpins: content that grows between our scroll and its event moves the
    // bottom away without moving scrollTop, so a gap alone means nothing; moving up does.
    let lastTop = el.scrollTop;
    const onScroll = () => {
      const top = el.scrollTop;
      if (el.scrollHeight - top - el.clientHeight <= SLACK_PX) stick.current = true;
      else if (top < lastTop - 2) stick.current = false;
      lastTop = top;
      setAtBottom(stick.current);
    };
    // Scrolling up by wheel or key unpins at once, before the next chunk of text arrives.
    const onWheel = (e: WheelEvent) => {
      if (e.deltaY < 0) {
        stick.current = false;
        setAtBottom(false);
      }
    };
    const onKey = (e: KeyboardEvent) => {
      if (['ArrowUp', 'PageUp', 'Home'].includes(e.key)) stick.current = false;
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    el.addEventListener('wheel', onWheel, { passive: true });
    el.addEventListener('keydown', onKey);
    return () => {
      el.removeEventListener('scroll', onScroll);
      el.removeEventListener('wheel', onWheel);
      el.removeEventListener('keydown', onKey);
    };
  }, [container]);

  useEffect(() => {
    const el = content.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      if (stick.current) toBottom();
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [content, toBottom]);

  const jump = useCallback(() => {
    stick.current = true;
    setAtBottom(true);
    toBottom();
  }, [toBottom]);

  return { atBottom, jump, pinned: stick };
}
