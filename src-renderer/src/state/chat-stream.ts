// The replies streaming into the open conversation: token deltas batched until the next animation
// frame (one render per frame, not one per token), and the state changes they and the end of a
// reply make.
import type { ChatEvent } from '../../../src-shared/contract';
import type { ChatState, LiveReply } from './chat-types';

type DeltaEvent = Extract<ChatEvent, { type: 'delta' }>;
type EndEvent = Exclude<ChatEvent, { type: 'delta' | 'queued' }>;
export interface PendingDelta {
  first: DeltaEvent;
  text: string;
  tokens: number;
}

const pending = new Map<string, PendingDelta>();
let scheduled = false;

/** Adds a delta to the batch and makes sure `flush` runs by the next frame. */
export function queueDelta(e: DeltaEvent, flush: () => void): void {
  const p = pending.get(e.messageId);
  if (p) {
    p.text += e.text;
    p.tokens = e.tokens;
  } else pending.set(e.messageId, { first: e, text: e.text, tokens: e.tokens });
  scheduleFlush(flush);
}

function scheduleFlush(flush: () => void): void {
  if (scheduled) return;
  scheduled = true;
  const run = () => {
    if (!scheduled) return;
    scheduled = false;
    flush();
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
  // Background windows get no animation frames: keep the text moving anyway.
  setTimeout(run, 120);
}

/** The deltas received since the last flush, taken out of the batch. */
export function takeDeltas(): PendingDelta[] {
  if (pending.size === 0) return [];
  const batch = [...pending.values()];
  pending.clear();
  return batch;
}

/** The live replies after a batch of deltas. */
export function applyDeltas(s: ChatState, batch: readonly PendingDelta[], now: number): Pick<ChatState, 'live'> {
  const live = { ...s.live };
  for (const { first, text, tokens } of batch) {
    const cur = live[first.messageId] ?? adopt(s, first, now);
    live[first.messageId] = { ...cur, text: cur.text + text, tokens, queued: null, firstTokenAt: cur.firstTokenAt ?? now };
  }
  return { live };
}

/** A reply we did not start here (another window, or a reload while it streamed). */
export function adopt(s: ChatState, e: ChatEvent, now: number): LiveReply {
  const shown = s.thread.find((t) => t.message.id === e.messageId)?.message.content ?? '';
  return { jobId: e.jobId, conversationId: e.conversationId, messageId: e.messageId, base: shown, text: '', tokens: 0, queued: null, startedAt: now, firstTokenAt: null };
}

/** After a reply ended (done or error): the stored message replaces the streamed text. */
export function endReply(s: ChatState, e: EndEvent): Pick<ChatState, 'live' | 'thread'> {
  const live = { ...s.live };
  delete live[e.messageId];
  const message = e.message;
  const thread = message && s.conversationId === e.conversationId ? s.thread.map((t) => (t.message.id === message.id ? { ...t, message } : t)) : s.thread;
  return { live, thread };
}

/** The reply streaming into the open conversation, if any. */
export const activeReply = (s: Pick<ChatState, 'live' | 'conversationId'>): LiveReply | null =>
  Object.values(s.live).find((l) => l.conversationId === s.conversationId) ?? null;
