import { APP_CODECS, CODEC_TABLE } from '../../../../src-shared/codecs';
import { cn } from '../../lib/cn';
import type { ImportChoice } from '../../state/models';

export type { ImportChoice };
export const IMPORT_CHOICES: readonly ImportChoice[] = [...APP_CODECS, 'ort-fp32'];

const fromTable = (c: (typeof APP_CODECS)[number]) => ({ bits: `${CODEC_TABLE[c].bits} bits/weight`, text: CODEC_TABLE[c].description });

export const CODEC_INFO: Record<ImportChoice, { bits: string; text: string }> = {
  ...(Object.fromEntries(APP_CODECS.map((c) => [c, fromTable(c)])) as Record<(typeof APP_CODECS)[number], { bits: string; text: string }>),
  'ort-fp32': { bits: '32 bits/weight', text: 'Uncompressed, run by ONNX Runtime: the reference to compare against.' },
};

/** The codec radio cards (qins8 first and preselected by the callers). */
export function CodecChoice({ value, onChange, name, columns = 3 }: { value: ImportChoice; onChange: (c: ImportChoice) => void; name: string; columns?: 2 | 3 }) {
  return (
    <fieldset>
      <legend className="text-sm font-medium">Codec</legend>
      <div className={cn('mt-1.5 grid gap-2 sm:grid-cols-2', columns === 3 && 'xl:grid-cols-3')}>
        {IMPORT_CHOICES.map((c) => (
          <label
            key={c}
            className={cn(
              'flex cursor-pointer items-start gap-2.5 rounded-lg border p-2.5 transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-indigo-500',
              value === c ? 'border-indigo-500 bg-indigo-50/60 dark:border-indigo-400/70 dark:bg-indigo-500/10' : 'border-zinc-200 hover:border-zinc-300 dark:border-zinc-800 dark:hover:border-zinc-700',
            )}
          >
            <input type="radio" name={name} value={c} checked={value === c} onChange={() => onChange(c)} className="mt-1 accent-indigo-600" />
            <span className="min-w-0">
              <span className="flex items-baseline gap-2">
                <span className="font-mono text-sm font-semibold">{c === 'ort-fp32' ? 'ORT FP32' : c}</span>
                <span className="text-[11px] text-zinc-600 dark:text-zinc-400">{CODEC_INFO[c].bits}</span>
              </span>
              <span className="mt-0.5 block text-xs text-zinc-600 dark:text-zinc-400">{CODEC_INFO[c].text}</span>
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
