// Export and import at the database level: every conversation with all its branches and
// statistics as an export document, and validated export conversations back in.
import type { StoreContext } from './context.js';
import { getConversation } from './conversations.js';
import { StoreError } from './db.js';
import { getMessage } from './messages.js';
import { type ConversationRow, type MessageRow, type NodeRow, statsValues, toConversation, toMessage } from './rows.js';
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  type ExportConversation,
  type ExportDocument,
  type ExportMessage,
  type ImportResult,
  type Message,
} from '../../../src-shared/records.js';
import { childrenOf } from './tree.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (isoTime: string): number => Date.parse(isoTime);

/** The complete export document (every branch and statistic) of some or all conversations. */
export function exportDocument(ctx: StoreContext, conversationIds?: readonly string[]): ExportDocument {
  // One read transaction: a consistent snapshot even while a reply is being streamed.
  const conversations = ctx.db
    .transaction((): ExportConversation[] => {
      const rows = conversationIds
        ? conversationIds.map((id) => {
            const row = ctx.sql('SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
            if (!row) throw new StoreError('NOT_FOUND', `no conversation ${id}`);
            return row;
          })
        : (ctx.sql('SELECT * FROM conversations ORDER BY created_at, seq').all() as ConversationRow[]);
      return rows.map((row) => {
        const c = toConversation(row);
        return {
          id: c.id,
          title: c.title,
          createdAt: iso(c.createdAt),
          updatedAt: iso(c.updatedAt),
          modelId: c.modelId,
          modelName: c.modelName,
          systemPrompt: c.systemPrompt,
          sampling: c.sampling,
          currentLeafId: c.currentLeafId,
          messages: treeOrder(ctx, c.id).map(toExportMessage),
        };
      });
    })
    .deferred();
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: iso(ctx.now()), conversations };
}

/** Messages in depth-first order, parents before children, siblings by creation. */
function treeOrder(ctx: StoreContext, conversationId: string): Message[] {
  const rows = ctx.sql('SELECT * FROM messages WHERE conversation_id = ?').all(conversationId) as MessageRow[];
  const children = childrenOf(rows);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: Message[] = [];
  const stack = [...(children.get('') ?? [])].reverse();
  while (stack.length > 0) {
    const n = stack.pop() as NodeRow;
    out.push(toMessage(byId.get(n.id) as MessageRow));
    stack.push(...[...(children.get(n.id) ?? [])].reverse());
  }
  return out;
}

function toExportMessage(m: Message): ExportMessage {
  return {
    id: m.id,
    parentId: m.parentId,
    role: m.role,
    content: m.content,
    status: m.status,
    error: m.error,
    stats: m.stats,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
  };
}

/**
 * Imports validated export conversations in one transaction. Conversations whose id already
 * exists are skipped and reported as duplicates; a message id that exists elsewhere aborts the
 * whole import (nothing is written).
 */
export function importConversations(ctx: StoreContext, conversations: readonly ExportConversation[]): ImportResult {
  return ctx.tx(() => {
    const result: ImportResult = { imported: [], duplicates: [], messages: 0 };
    const insertConversation = ctx.sql(
      `INSERT INTO conversations (id, title, created_at, updated_at, model_id, model_name, system_prompt, sampling)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertMessage = ctx.sql(
      `INSERT INTO messages (id, conversation_id, parent_id, role, content, status, error, tokens, prompt_tokens,
                             tok_s, ttft_ms, codec, model, stop_reason, context, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const c of conversations) {
      if (getConversation(ctx, c.id)) {
        result.duplicates.push(c.id);
        continue;
      }
      insertConversation.run(
        c.id,
        c.title,
        ms(c.createdAt),
        ms(c.updatedAt),
        c.modelId,
        c.modelName,
        c.systemPrompt,
        JSON.stringify(c.sampling),
      );
      for (const m of c.messages) {
        const existing = getMessage(ctx, m.id);
        if (existing) {
          throw new StoreError(
            'CONFLICT',
            `message ${m.id} of conversation ${c.id} already exists in conversation ${existing.conversationId}`,
          );
        }
        const s = statsValues(m.stats);
        insertMessage.run(
          m.id,
          c.id,
          m.parentId,
          m.role,
          m.content,
          m.status,
          m.error,
          ...s,
          ms(m.createdAt),
          ms(m.updatedAt),
        );
        result.messages += 1;
      }
      ctx.sql('UPDATE conversations SET current_leaf_id = ? WHERE id = ?').run(c.currentLeafId, c.id);
      result.imported.push(c.id);
    }
    return result;
  });
}
