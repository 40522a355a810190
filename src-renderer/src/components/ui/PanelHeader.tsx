// The heading row of a Models page panel: a tinted icon, the title (the panel's label) and a
// one-paragraph description, with an optional control at the right.
import type { LucideIcon } from 'lucide-react';
import type { ReactNode } from 'react';
import { cn } from '../../lib/cn';

const TONES = {
  indigo: 'bg-indigo-50 text-indigo-600 dark:bg-indigo-500/15 dark:text-indigo-300',
  amber: 'bg-amber-50 text-amber-600 dark:bg-amber-500/15 dark:text-amber-300',
  emerald: 'bg-emerald-50 text-emerald-600 dark:bg-emerald-500/15 dark:text-emerald-300',
} as const;

export function PanelHeader(props: {
  icon: LucideIcon;
  tone: keyof typeof TONES;
  /** id of the h2, for the section's aria-labelledby */
  headingId: string;
  title: string;
  children: ReactNode;
  aside?: ReactNode;
}) {
  const Icon = props.icon;
  return (
    <div className="flex items-start gap-4">
      <div className={cn('hidden h-10 w-10 shrink-0 place-items-center rounded-xl sm:grid', TONES[props.tone])} aria-hidden>
        <Icon size={20} />
      </div>
      <div className="min-w-0 flex-1">
        <h2 id={props.headingId} className="text-base font-semibold">
          {props.title}
        </h2>
        <p className="mt-0.5 text-sm text-zinc-600 dark:text-zinc-400">{props.children}</p>
      </div>
      {props.aside}
    </div>
  );
}
