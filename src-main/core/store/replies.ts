// Streaming assistant replies: the message created when generation starts, the buffered writers
// that append its text, and the final status and statistics.
import type { StoreContext } from './context.js';
import { requireConversation, selectLeaf, touchConversation } from './conversations.js';
import { StoreError } from './db.js';
import { checkParent, getMessage, insertMessage, requireMessage } from './messages.js';
import { EMPTY_STATS, statsValues } from './rows.js';
import { type Message, MessageStats, type MessageStatsInput, MessageStatus } from '../../../src-shared/records.js';
import { StreamingWriter, type StreamingWriterOptions } from './streaming.js';

export interface ReplyOptions {
  /** Flush timing for streamed assistant messages. */
  streaming?: Omit<StreamingWriterOptions, 'onFlush'>;
  /** Called after streamed text of a message reached the database (characters written so far). */
  onFlush?: (messageId: string, flushedChars: number) => void;
}

export interface AssistantMeta {
  model?: string | null;
  codec?: string | null;
}

export interface FinishInput {
  status: MessageStatus;
  /** Merged into the message's stats (model and codec given at the start are kept unless set here). */
  stats?: Partial<MessageStatsInput>;
  error?: string | null;
}

export class ReplyStreams {
  private readonly writers = new Map<string, StreamingWriter>();

  constructor(
    private readonly ctx: StoreContext,
    private readonly options: ReplyOptions,
  ) {}

  /**
   * Creates the assistant message (status 'incomplete') below `parentId` when generation starts,
   * selects it, and opens a buffered writer for its text. Regenerating is the same call with the
   * parent of the reply being replaced: the new reply becomes a sibling.
   */
  begin(conversationId: string, parentId: string | null, meta: AssistantMeta = {}): string {
    const ctx = this.ctx;
    const id = ctx.tx(() => {
      requireConversation(ctx, conversationId);
      checkParent(ctx, conversationId, parentId);
      const stats: MessageStats = { ...EMPTY_STATS, codec: meta.codec ?? null, model: meta.model ?? null };
      return insertMessage(ctx, conversationId, parentId, 'assistant', '', 'incomplete', stats);
    });
    this.openWriter(id);
    return id;
  }

  /**
   * Reopens an assistant message (typically one left 'incomplete' by a crash) to stream more text
   * onto the end of what it holds.
   */
  continue(messageId: string): Message {
    const ctx = this.ctx;
    if (this.writers.has(messageId)) throw new StoreError('CONFLICT', `message ${messageId} is already being streamed`);
    const m = requireMessage(ctx, messageId);
    if (m.role !== 'assistant') throw new StoreError('BAD_INPUT', `message ${messageId} is not an assistant reply`);
    ctx.tx(() => {
      ctx
        .sql(
          `UPDATE messages SET status = 'incomplete', error = NULL, stop_reason = NULL, tokens = coalesce(tokens, 0),
                updated_at = ? WHERE id = ?`,
        )
        .run(ctx.now(), messageId);
      selectLeaf(ctx, m.conversationId, messageId);
    });
    this.openWriter(messageId);
    return requireMessage(ctx, messageId);
  }

  private openWriter(id: string): void {
    const onFlush = this.options.onFlush;
    const writer = new StreamingWriter({ appendContent: (messageId, text) => this.appendRaw(messageId, text) }, id, {
      ...this.options.streaming,
      onFlush: onFlush ? (chars) => onFlush(id, chars) : undefined,
    });
    this.writers.set(id, writer);
  }

  private appendRaw(id: string, text: string): void {
    const info = this.ctx
      .sql('UPDATE messages SET content = content || ?, updated_at = ? WHERE id = ?')
      .run(text, this.ctx.now(), id);
    if (info.changes === 0) throw new StoreError('NOT_FOUND', `no message ${id}`);
  }

  private writer(id: string): StreamingWriter {
    const w = this.writers.get(id);
    if (!w) throw new StoreError('NOT_FOUND', `message ${id} is not being streamed`);
    return w;
  }

  /** Buffers generated text; it reaches the database within the flush interval (≤ 500 ms). */
  append(id: string, text: string): void {
    this.writer(id).append(text);
  }

  /** Writes buffered text now. */
  flush(id: string): void {
    this.writer(id).flush();
  }

  /** Writes the buffered text of every open writer now. */
  flushAll(): void {
    for (const w of this.writers.values()) w.flush();
  }

  /** Ids of the messages with an open writer. */
  ids(): string[] {
    return [...this.writers.keys()];
  }

  /** Flushes the remaining text and records the outcome and statistics. */
  finish(id: string, input: FinishInput): Message {
    const ctx = this.ctx;
    const m = requireMessage(ctx, id);
    const parsed = MessageStats.safeParse({ ...(m.stats ?? EMPTY_STATS), ...input.stats });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StoreError('BAD_INPUT', `bad stats for message ${id}: ${issue?.path.join('.')}: ${issue?.message}`);
    }
    if (!MessageStatus.safeParse(input.status).success) {
      throw new StoreError('BAD_INPUT', `bad status ${JSON.stringify(input.status)} for message ${id}`);
    }
    const w = this.writers.get(id);
    if (w) {
      w.close();
      this.writers.delete(id);
    }
    const s = statsValues(parsed.data);
    const t = ctx.now();
    ctx.tx(() => {
      ctx
        .sql(
          `UPDATE messages SET status = ?, error = ?, tokens = ?, prompt_tokens = ?, tok_s = ?, ttft_ms = ?, codec = ?,
                model = ?, stop_reason = ?, context = ?, updated_at = ? WHERE id = ?`,
        )
        .run(
          input.status,
          input.error ?? null,
          ...s,
          t,
          id,
        );
      touchConversation(ctx, m.conversationId, t);
    });
    return requireMessage(ctx, id);
  }

  /** Closes (flushing) the writers of the given messages. */
  closeMessages(ids: readonly string[]): void {
    for (const id of ids) this.writers.get(id)?.close();
    for (const id of ids) this.writers.delete(id);
  }

  /** Closes (flushing) the writers of a conversation's messages and of messages that no longer exist. */
  closeConversation(conversationId: string): void {
    for (const [id, w] of this.writers) {
      const m = getMessage(this.ctx, id);
      if (!m || m.conversationId === conversationId) {
        w.close();
        this.writers.delete(id);
      }
    }
  }

  /** Closes (flushing) every writer; their messages stay 'incomplete'. */
  closeAll(): void {
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
  }
}
