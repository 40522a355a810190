// The messages table as a tree: adding and editing user messages, the thread through a branch,
// switching branches, deleting a subtree.
import { randomUUID } from 'node:crypto';
import type { StoreContext } from './context.js';
import { requireConversation, selectLeaf, touchConversation } from './conversations.js';
import { StoreError } from './db.js';
import { type MessageRow, type NodeRow, statsValues, toMessage } from './rows.js';
import type { Message, MessageStats, MessageStatus, ThreadEntry } from '../../../src-shared/records.js';
import { childrenOf, later, latestLeaf } from './tree.js';

export function getMessage(ctx: StoreContext, id: string): Message | null {
  const row = ctx.sql('SELECT * FROM messages WHERE id = ?').get(id) as MessageRow | undefined;
  return row ? toMessage(row) : null;
}

export function requireMessage(ctx: StoreContext, id: string): Message {
  const m = getMessage(ctx, id);
  if (!m) throw new StoreError('NOT_FOUND', `no message ${id}`);
  return m;
}

export function checkParent(ctx: StoreContext, conversationId: string, parentId: string | null): void {
  if (parentId === null) return;
  const parent = getMessage(ctx, parentId);
  if (!parent || parent.conversationId !== conversationId) {
    throw new StoreError('NOT_FOUND', `no message ${parentId} in conversation ${conversationId}`);
  }
}

/** Inserts a message, selects it and records the activity; returns its id. */
export function insertMessage(
  ctx: StoreContext,
  conversationId: string,
  parentId: string | null,
  role: 'user' | 'assistant',
  content: string,
  status: MessageStatus,
  stats: MessageStats | null,
): string {
  const id = randomUUID();
  const t = ctx.now();
  const s = statsValues(stats);
  ctx
    .sql(
      `INSERT INTO messages (id, conversation_id, parent_id, role, content, status, error, tokens, prompt_tokens,
                             tok_s, ttft_ms, codec, model, stop_reason, context, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      id,
      conversationId,
      parentId,
      role,
      content,
      status,
      ...s,
      t,
      t,
    );
  selectLeaf(ctx, conversationId, id);
  touchConversation(ctx, conversationId, t);
  return id;
}

/** Appends a user message below `parentId` (null: a new root) and selects it. */
export function addUserMessage(ctx: StoreContext, conversationId: string, parentId: string | null, content: string): Message {
  return ctx.tx(() => {
    requireConversation(ctx, conversationId);
    checkParent(ctx, conversationId, parentId);
    return requireMessage(ctx, insertMessage(ctx, conversationId, parentId, 'user', content, 'complete', null));
  });
}

/** Editing a user message: a new sibling with the new text (the original stays as a branch). */
export function editUserMessage(ctx: StoreContext, messageId: string, content: string): Message {
  return ctx.tx(() => {
    const m = requireMessage(ctx, messageId);
    if (m.role !== 'user') throw new StoreError('BAD_INPUT', `message ${messageId} is not a user message`);
    return requireMessage(ctx, insertMessage(ctx, m.conversationId, m.parentId, 'user', content, 'complete', null));
  });
}

function nodes(ctx: StoreContext, conversationId: string): NodeRow[] {
  return ctx.sql('SELECT seq, id, parent_id, created_at FROM messages WHERE conversation_id = ?').all(
    conversationId,
  ) as NodeRow[];
}

/**
 * The root → leaf path through `leafId` (default: the selected leaf). If `leafId` has children
 * the path continues down to the most recently created leaf below it. Each entry tells where the
 * message sits among its siblings.
 */
export function getThread(ctx: StoreContext, conversationId: string, leafId?: string | null): ThreadEntry[] {
  const conv = requireConversation(ctx, conversationId);
  const all = nodes(ctx, conversationId);
  if (all.length === 0) {
    if (leafId) throw new StoreError('NOT_FOUND', `no message ${leafId} in conversation ${conversationId}`);
    return [];
  }
  const byId = new Map(all.map((n) => [n.id, n]));
  const children = childrenOf(all);
  const wanted = leafId ?? conv.currentLeafId;
  let start: NodeRow | undefined;
  if (wanted) {
    start = byId.get(wanted);
    if (!start) throw new StoreError('NOT_FOUND', `no message ${wanted} in conversation ${conversationId}`);
  } else {
    start = all.reduce((a, b) => (later(b, a) ? b : a));
  }
  const leaf = latestLeaf(start, children);
  const path: NodeRow[] = [];
  for (let n: NodeRow | undefined = leaf; n; n = n.parent_id ? byId.get(n.parent_id) : undefined) path.push(n);
  path.reverse();
  const rows = ctx
    .sql('SELECT * FROM messages WHERE conversation_id = ? AND id IN (SELECT value FROM json_each(?))')
    .all(conversationId, JSON.stringify(path.map((n) => n.id))) as MessageRow[];
  const full = new Map(rows.map((r) => [r.id, r]));
  return path.map((n) => {
    const siblings = children.get(n.parent_id ?? '') ?? [n];
    return {
      message: toMessage(full.get(n.id) as MessageRow),
      siblingIndex: siblings.findIndex((s) => s.id === n.id),
      siblingCount: siblings.length,
      siblingIds: siblings.map((s) => s.id),
    };
  });
}

/** Selects the branch through `messageId` (down to its latest leaf) and returns that thread. */
export function switchBranch(ctx: StoreContext, conversationId: string, messageId: string): ThreadEntry[] {
  return ctx.tx(() => {
    const thread = getThread(ctx, conversationId, messageId);
    const leaf = thread[thread.length - 1];
    selectLeaf(ctx, conversationId, leaf?.message.id ?? null);
    return thread;
  });
}

/**
 * Deletes a message and every message below it; the selection moves to the nearest remaining
 * branch. `beforeDelete` gets the ids of the doomed messages first (to close their writers).
 */
export function deleteSubtree(
  ctx: StoreContext,
  messageId: string,
  beforeDelete: (ids: string[]) => void,
): { deleted: number; currentLeafId: string | null } {
  const m = requireMessage(ctx, messageId);
  return ctx.tx(() => {
    const doomed = ctx
      .sql(
        `WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id)
         SELECT id FROM sub`,
      )
      .all(messageId) as Array<{ id: string }>;
    beforeDelete(doomed.map((d) => d.id));
    ctx.sql('DELETE FROM messages WHERE id = ?').run(messageId);
    let leaf = requireConversation(ctx, m.conversationId).currentLeafId;
    if (leaf === null) {
      const remaining = nodes(ctx, m.conversationId);
      if (remaining.length > 0) {
        const children = childrenOf(remaining);
        const parent = m.parentId ? remaining.find((n) => n.id === m.parentId) : undefined;
        const start = parent ?? remaining.reduce((a, b) => (later(b, a) ? b : a));
        leaf = latestLeaf(start, children).id;
        selectLeaf(ctx, m.conversationId, leaf);
      }
    }
    touchConversation(ctx, m.conversationId, ctx.now());
    return { deleted: doomed.length, currentLeafId: leaf };
  });
}
