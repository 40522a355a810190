// A modal dialog on the native <dialog> element: focus is trapped and Esc closes it, with no
// injected styles (the CSP forbids them).
import { type ReactNode, useEffect, useId, useRef } from 'react';
import { X } from 'lucide-react';
import { cn } from '../../lib/cn';
import { IconButton } from './Button';

export function Dialog({
  open,
  onClose,
  title,
  description,
  children,
  footer,
  className,
  hideTitle,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  description?: ReactNode;
  children?: ReactNode;
  footer?: ReactNode;
  className?: string;
  hideTitle?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      if (typeof d.showModal === 'function') d.showModal();
      else d.setAttribute('open', '');
      // showModal focuses the first control; a dialog can ask for another with data-autofocus.
      d.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    } else if (!open && d.open) {
      if (typeof d.close === 'function') d.close();
      else d.removeAttribute('open');
    }
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      // Esc closes the dialog natively; whatever closed it, the owner hears about it.
      onClose={() => {
        if (open) onClose();
      }}
      onClick={(e) => {
        // A click on the backdrop (the dialog element itself) closes it.
        if (e.target === ref.current) onClose();
      }}
      className={cn(
        'm-auto w-[min(32rem,calc(100vw-2rem))] rounded-2xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-2xl backdrop:bg-zinc-950/40 backdrop:backdrop-blur-[2px] dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100',
        className,
      )}
    >
      {open ? (
        <div className="flex max-h-[80vh] flex-col">
          <div className={cn('flex items-start justify-between gap-4 px-5 pt-4', hideTitle && 'sr-only')}>
            <div>
              <h2 id={titleId} className="text-base font-semibold">
                {title}
              </h2>
              {description ? <div className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{description}</div> : null}
            </div>
            <IconButton label="Close" size="sm" onClick={onClose}>
              <X size={16} aria-hidden />
            </IconButton>
          </div>
          {children ? <div className={cn('min-h-0 overflow-y-auto px-5', hideTitle ? 'pt-4' : 'pt-3', footer ? 'pb-2' : 'pb-5')}>{children}</div> : null}
          {footer ? <div className="flex justify-end gap-2 px-5 pt-3 pb-4">{footer}</div> : null}
        </div>
      ) : null}
    </dialog>
  );
}
