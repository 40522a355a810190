// The conversations table: create, read, list, update, delete, the selected leaf and the activity
// time that orders the list.
import { randomUUID } from 'node:crypto';
import type { StoreContext } from './context.js';
import { StoreError } from './db.js';
import { type ConversationRow, toConversation } from './rows.js';
import { Conversation, ConversationPatch, type ConversationSummary, NewConversation } from '../../../src-shared/records.js';

export function createConversation(ctx: StoreContext, input: NewConversation = {}): Conversation {
  const c = NewConversation.parse(input);
  const id = randomUUID();
  const t = ctx.now();
  ctx
    .sql(
      `INSERT INTO conversations (id, title, created_at, updated_at, model_id, model_name, system_prompt, sampling)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(id, c.title, t, t, c.modelId, c.modelName, c.systemPrompt, JSON.stringify(c.sampling));
  return requireConversation(ctx, id);
}

export function getConversation(ctx: StoreContext, id: string): Conversation | null {
  const row = ctx.sql('SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
  return row ? toConversation(row) : null;
}

export function requireConversation(ctx: StoreContext, id: string): Conversation {
  const c = getConversation(ctx, id);
  if (!c) throw new StoreError('NOT_FOUND', `no conversation ${id}`);
  return c;
}

/** Most recently active first. */
export function listConversations(
  ctx: StoreContext,
  options: { limit?: number; offset?: number } = {},
): ConversationSummary[] {
  const limit = Math.max(1, Math.min(options.limit ?? 1000, 100_000));
  const offset = Math.max(0, options.offset ?? 0);
  const rows = ctx
    .sql(
      `SELECT c.id, c.title, c.created_at, c.updated_at, c.model_name,
              (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
       FROM conversations c ORDER BY c.updated_at DESC, c.seq DESC LIMIT ? OFFSET ?`,
    )
    .all(limit, offset) as Array<{
    id: string;
    title: string;
    created_at: number;
    updated_at: number;
    model_name: string | null;
    message_count: number;
  }>;
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    modelName: r.model_name,
    messageCount: r.message_count,
  }));
}

/** Changes title, model, system prompt or sampling (does not count as activity for ordering). */
export function updateConversation(ctx: StoreContext, id: string, patch: ConversationPatch): Conversation {
  const p = ConversationPatch.parse(patch);
  const current = requireConversation(ctx, id);
  const next = { ...current, ...p };
  ctx
    .sql(`UPDATE conversations SET title = ?, model_id = ?, model_name = ?, system_prompt = ?, sampling = ? WHERE id = ?`)
    .run(next.title, next.modelId, next.modelName, next.systemPrompt, JSON.stringify(next.sampling), id);
  return requireConversation(ctx, id);
}

/** Deletes the row (its messages and search entries go with it); false if there was none. */
export function deleteConversationRow(ctx: StoreContext, id: string): boolean {
  return ctx.sql('DELETE FROM conversations WHERE id = ?').run(id).changes > 0;
}

/** Records activity at `t` (the list is ordered by it). */
export function touchConversation(ctx: StoreContext, conversationId: string, t: number): void {
  ctx.sql('UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?').run(t, conversationId);
}

export function selectLeaf(ctx: StoreContext, conversationId: string, leafId: string | null): void {
  ctx.sql('UPDATE conversations SET current_leaf_id = ? WHERE id = ?').run(leafId, conversationId);
}
