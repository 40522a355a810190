import type { Message } from '../../../../src-shared/contract';
import { formatCount, formatDuration, formatRate } from '../../lib/format';

const STOP_REASONS: Record<string, string> = {
  eos: 'finished',
  length: 'reached max tokens',
  stopped: 'stopped',
  context: 'context full',
  error: 'failed',
};

/** Tokens, speed, time to first token, model and codec, why it stopped; plus the context note. */
export function ReplyStats({ message }: { message: Message }) {
  const s = message.stats;
  if (!s) return null;
  const parts: Array<{ label: string; value: string }> = [];
  parts.push({ label: 'Tokens', value: formatCount(s.tokens) });
  if (s.tok_s !== null) parts.push({ label: 'Speed', value: formatRate(s.tok_s) });
  if (s.ttft_ms !== null) parts.push({ label: 'Time to first token', value: formatDuration(s.ttft_ms) });
  if (s.model) parts.push({ label: 'Model', value: s.codec ? `${s.model} · ${s.codec}` : s.model });
  if (s.stop_reason) parts.push({ label: 'Stop reason', value: STOP_REASONS[s.stop_reason] ?? s.stop_reason });
  const note = s.context?.note;
  return (
    <div className="text-[11px] leading-5 text-zinc-600 dark:text-zinc-400" data-testid="reply-stats">
      <dl className="flex flex-wrap gap-x-3">
        {parts.map((p) => (
          <div key={p.label} className="flex gap-1" title={p.label}>
            <dt className="sr-only">{p.label}</dt>
            <dd className="tabular-nums">{p.label === 'Time to first token' ? `TTFT ${p.value}` : p.label === 'Tokens' ? `${p.value} tokens` : p.value}</dd>
          </div>
        ))}
      </dl>
      {note ? (
        <p className="mt-0.5 text-amber-700 dark:text-amber-400" data-testid="context-note">
          {note}
          {s.context ? ` (policy: ${s.context.policy === 'stop' ? 'stop when full' : 'drop oldest messages'})` : ''}
        </p>
      ) : null}
    </div>
  );
}
