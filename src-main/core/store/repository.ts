// The conversation store: the one typed repository over the SQLite database. Every SQL statement
// the app runs against its data lives in this module (plus the migrations); callers get and pass
// the domain types of src-shared/records.ts. All calls are synchronous (better-sqlite3).
import { randomUUID } from 'node:crypto';
import type { Statement as SqliteStatement } from 'better-sqlite3';
import type { z } from 'zod';
import { backupTo, type Db, openDatabase, type OpenOptions, StoreError } from './db.js';
import {
  ContextInfo,
  Conversation,
  ConversationPatch,
  type ConversationSummary,
  EXPORT_FORMAT,
  EXPORT_VERSION,
  type ExportConversation,
  type ExportDocument,
  type ExportMessage,
  type ImportResult,
  type Message,
  MessageStats,
  type MessageStatsInput,
  MessageStatus,
  type ModelRecord,
  NewConversation,
  type Preset,
  SamplingSettings,
  type SamplingSettingsInput,
  type SearchHit,
  Settings,
  SETTINGS_KEYS,
  SettingsPatch,
  SNIPPET_ELLIPSIS,
  SNIPPET_MARK_CLOSE,
  SNIPPET_MARK_OPEN,
  type StopReason,
  type ThreadEntry,
  defaultSampling,
  ModelRecord as ModelRecordSchema,
  ModelQualityRecord as ModelQualityRecordSchema,
  type ModelQualityRecord,
} from '../../../src-shared/records.js';
import { buildSearchQuery, likeSnippet } from './search-query.js';
import { StreamingWriter, type StreamingWriterOptions } from './streaming.js';

type Statement = SqliteStatement<unknown[]>;

// ─── Rows ──────────────────────────────────────────────────────────────────────────────────────

interface ConversationRow {
  seq: number;
  id: string;
  title: string;
  created_at: number;
  updated_at: number;
  model_id: string | null;
  model_name: string | null;
  system_prompt: string;
  sampling: string;
  current_leaf_id: string | null;
}

interface MessageRow {
  seq: number;
  id: string;
  conversation_id: string;
  parent_id: string | null;
  role: 'user' | 'assistant';
  content: string;
  status: MessageStatus;
  error: string | null;
  tokens: number | null;
  prompt_tokens: number | null;
  tok_s: number | null;
  ttft_ms: number | null;
  codec: string | null;
  model: string | null;
  stop_reason: StopReason | null;
  context: string | null;
  created_at: number;
  updated_at: number;
}

/** The tree shape of a conversation, without message text. */
interface NodeRow {
  seq: number;
  id: string;
  parent_id: string | null;
  created_at: number;
}

interface ModelRow {
  id: string;
  name: string;
  path: string;
  codec: string;
  architecture: string;
  params: number;
  file_bytes: number;
  context_length: number | null;
  bits_per_weight: number | null;
  snr_db: number | null;
  source_name: string | null;
  source_bytes: number | null;
  source_path: string | null;
  builtin: number;
  added_at: number;
  last_used_at: number | null;
}

interface PresetRow {
  id: string;
  name: string;
  system_prompt: string;
  sampling: string;
  created_at: number;
  updated_at: number;
}

function parseSampling(json: string): SamplingSettings {
  const parsed = SamplingSettings.safeParse(JSON.parse(json));
  return parsed.success ? parsed.data : defaultSampling();
}

function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    title: row.title,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    modelId: row.model_id,
    modelName: row.model_name,
    systemPrompt: row.system_prompt,
    sampling: parseSampling(row.sampling),
    currentLeafId: row.current_leaf_id,
  };
}

function toStats(row: MessageRow): MessageStats | null {
  if (row.tokens === null) return null;
  return {
    tokens: row.tokens,
    prompt_tokens: row.prompt_tokens,
    tok_s: row.tok_s,
    ttft_ms: row.ttft_ms,
    codec: row.codec,
    model: row.model,
    stop_reason: row.stop_reason,
    context: row.context === null ? null : ContextInfo.parse(JSON.parse(row.context)),
  };
}

function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    parentId: row.parent_id,
    role: row.role,
    content: row.content,
    status: row.status,
    error: row.error,
    stats: toStats(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Column values for a stats object (all null when there are no stats). */
function statsColumns(stats: MessageStats | null) {
  return {
    tokens: stats?.tokens ?? null,
    prompt_tokens: stats?.prompt_tokens ?? null,
    tok_s: stats?.tok_s ?? null,
    ttft_ms: stats?.ttft_ms ?? null,
    codec: stats?.codec ?? null,
    model: stats?.model ?? null,
    stop_reason: stats?.stop_reason ?? null,
    context: stats?.context ? JSON.stringify(ContextInfo.parse(stats.context)) : null,
  };
}

function toModel(row: ModelRow): ModelRecord {
  return {
    id: row.id,
    name: row.name,
    path: row.path,
    codec: row.codec,
    architecture: row.architecture,
    params: row.params,
    fileBytes: row.file_bytes,
    contextLength: row.context_length,
    bitsPerWeight: row.bits_per_weight,
    snrDb: row.snr_db,
    sourceName: row.source_name,
    sourceBytes: row.source_bytes,
    sourcePath: row.source_path,
    builtin: row.builtin === 1,
    addedAt: row.added_at,
    lastUsedAt: row.last_used_at,
  };
}

function toPreset(row: PresetRow): Preset {
  return {
    id: row.id,
    name: row.name,
    systemPrompt: row.system_prompt,
    sampling: parseSampling(row.sampling),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (isoTime: string): number => Date.parse(isoTime);

/** Children lists keyed by parent id ('' for the roots), each ordered by creation. */
function childrenOf(nodes: NodeRow[]): Map<string, NodeRow[]> {
  const byParent = new Map<string, NodeRow[]>();
  for (const n of nodes) {
    const key = n.parent_id ?? '';
    const list = byParent.get(key);
    if (list) list.push(n);
    else byParent.set(key, [n]);
  }
  for (const list of byParent.values()) list.sort((a, b) => a.created_at - b.created_at || a.seq - b.seq);
  return byParent;
}

const later = (a: NodeRow, b: NodeRow): boolean => a.created_at > b.created_at || (a.created_at === b.created_at && a.seq > b.seq);

/** The most recently created leaf at or below `start`. */
function latestLeaf(start: NodeRow, children: Map<string, NodeRow[]>): NodeRow {
  let best: NodeRow | null = null;
  const stack = [start];
  while (stack.length > 0) {
    const n = stack.pop() as NodeRow;
    const kids = children.get(n.id);
    if (kids && kids.length > 0) stack.push(...kids);
    else if (best === null || later(n, best)) best = n;
  }
  return best ?? start;
}

/** Matching messages considered per search (the best ones by rank). */
const MAX_SEARCH_MATCHES = 20_000;

const EMPTY_STATS: MessageStats = {
  tokens: 0,
  prompt_tokens: null,
  tok_s: null,
  ttft_ms: null,
  codec: null,
  model: null,
  stop_reason: null,
  context: null,
};

// ─── Options and inputs ────────────────────────────────────────────────────────────────────────

export interface ChatStoreOptions extends OpenOptions {
  /** Clock (epoch ms); tests inject one. */
  now?: () => number;
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

export interface SearchOptions {
  limit?: number;
}

export interface DeleteResult {
  /** Messages removed (the message and everything below it). */
  deleted: number;
  /** The conversation's selected leaf afterwards. */
  currentLeafId: string | null;
  /** The -wal file was checkpointed and truncated, so the deleted text is gone from disk. */
  purged: boolean;
}

// ─── The store ─────────────────────────────────────────────────────────────────────────────────

export class ChatStore {
  private readonly statements = new Map<string, Statement>();
  private readonly writers = new Map<string, StreamingWriter>();
  private readonly now: () => number;

  private constructor(
    readonly db: Db,
    readonly path: string,
    private readonly options: ChatStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Opens (creating and migrating as needed) the store at `file`. No pre-migration copy is kept
   * unless `backupBeforeMigrate` is set: such a copy would keep conversations the user deletes later.
   */
  static open(file: string, options: ChatStoreOptions = {}): ChatStore {
    const db = openDatabase(file, options);
    return new ChatStore(db, file, options);
  }

  /** Flushes streamed text and closes the database. Messages still streaming stay 'incomplete'. */
  close(): void {
    if (!this.db.open) return;
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
    if (!this.db.readonly) this.checkpoint();
    this.db.close();
  }

  private sql(text: string): Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare<unknown[]>(text);
      this.statements.set(text, s);
    }
    return s;
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ─── Conversations ──────────────────────────────────────────────────────────────────────────

  createConversation(input: NewConversation = {}): Conversation {
    const c = NewConversation.parse(input);
    const id = randomUUID();
    const t = this.now();
    this.sql(
      `INSERT INTO conversations (id, title, created_at, updated_at, model_id, model_name, system_prompt, sampling)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(id, c.title, t, t, c.modelId, c.modelName, c.systemPrompt, JSON.stringify(c.sampling));
    return this.requireConversation(id);
  }

  getConversation(id: string): Conversation | null {
    const row = this.sql('SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
    return row ? toConversation(row) : null;
  }

  private requireConversation(id: string): Conversation {
    const c = this.getConversation(id);
    if (!c) throw new StoreError('NOT_FOUND', `no conversation ${id}`);
    return c;
  }

  /** Most recently active first. */
  listConversations(options: { limit?: number; offset?: number } = {}): ConversationSummary[] {
    const limit = Math.max(1, Math.min(options.limit ?? 1000, 100_000));
    const offset = Math.max(0, options.offset ?? 0);
    const rows = this.sql(
      `SELECT c.id, c.title, c.created_at, c.updated_at, c.model_name,
              (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
       FROM conversations c ORDER BY c.updated_at DESC, c.seq DESC LIMIT ? OFFSET ?`,
    ).all(limit, offset) as Array<{
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
  updateConversation(id: string, patch: ConversationPatch): Conversation {
    const p = ConversationPatch.parse(patch);
    const current = this.requireConversation(id);
    const next = { ...current, ...p };
    this.sql(
      `UPDATE conversations SET title = ?, model_id = ?, model_name = ?, system_prompt = ?, sampling = ? WHERE id = ?`,
    ).run(next.title, next.modelId, next.modelName, next.systemPrompt, JSON.stringify(next.sampling), id);
    return this.requireConversation(id);
  }

  /**
   * Deletes a conversation with all its messages and their search entries, then checkpoints the
   * WAL so the text is gone from both files (secure_delete zeroes the freed pages).
   */
  deleteConversation(id: string): { deleted: boolean; purged: boolean } {
    this.closeWritersOf(id);
    const info = this.sql('DELETE FROM conversations WHERE id = ?').run(id);
    if (info.changes === 0) return { deleted: false, purged: false };
    return { deleted: true, purged: this.purge() };
  }

  private touch(conversationId: string, t: number): void {
    this.sql('UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?').run(t, conversationId);
  }

  // ─── Messages and branches ──────────────────────────────────────────────────────────────────

  getMessage(id: string): Message | null {
    const row = this.sql('SELECT * FROM messages WHERE id = ?').get(id) as MessageRow | undefined;
    return row ? toMessage(row) : null;
  }

  private requireMessage(id: string): Message {
    const m = this.getMessage(id);
    if (!m) throw new StoreError('NOT_FOUND', `no message ${id}`);
    return m;
  }

  private checkParent(conversationId: string, parentId: string | null): void {
    if (parentId === null) return;
    const parent = this.getMessage(parentId);
    if (!parent || parent.conversationId !== conversationId) {
      throw new StoreError('NOT_FOUND', `no message ${parentId} in conversation ${conversationId}`);
    }
  }

  private insertMessage(
    conversationId: string,
    parentId: string | null,
    role: 'user' | 'assistant',
    content: string,
    status: MessageStatus,
    stats: MessageStats | null,
  ): string {
    const id = randomUUID();
    const t = this.now();
    const s = statsColumns(stats);
    this.sql(
      `INSERT INTO messages (id, conversation_id, parent_id, role, content, status, error, tokens, prompt_tokens,
                             tok_s, ttft_ms, codec, model, stop_reason, context, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      conversationId,
      parentId,
      role,
      content,
      status,
      s.tokens,
      s.prompt_tokens,
      s.tok_s,
      s.ttft_ms,
      s.codec,
      s.model,
      s.stop_reason,
      s.context,
      t,
      t,
    );
    this.sql('UPDATE conversations SET current_leaf_id = ? WHERE id = ?').run(id, conversationId);
    this.touch(conversationId, t);
    return id;
  }

  /** Appends a user message below `parentId` (null: a new root) and selects it. */
  addUserMessage(conversationId: string, parentId: string | null, content: string): Message {
    return this.tx(() => {
      this.requireConversation(conversationId);
      this.checkParent(conversationId, parentId);
      return this.requireMessage(this.insertMessage(conversationId, parentId, 'user', content, 'complete', null));
    });
  }

  /** Editing a user message: a new sibling with the new text (the original stays as a branch). */
  editUserMessage(messageId: string, content: string): Message {
    return this.tx(() => {
      const m = this.requireMessage(messageId);
      if (m.role !== 'user') throw new StoreError('BAD_INPUT', `message ${messageId} is not a user message`);
      return this.requireMessage(this.insertMessage(m.conversationId, m.parentId, 'user', content, 'complete', null));
    });
  }

  private nodes(conversationId: string): NodeRow[] {
    return this.sql('SELECT seq, id, parent_id, created_at FROM messages WHERE conversation_id = ?').all(
      conversationId,
    ) as NodeRow[];
  }

  /**
   * The root → leaf path through `leafId` (default: the selected leaf). If `leafId` has children
   * the path continues down to the most recently created leaf below it. Each entry tells where the
   * message sits among its siblings.
   */
  getThread(conversationId: string, leafId?: string | null): ThreadEntry[] {
    const conv = this.requireConversation(conversationId);
    const nodes = this.nodes(conversationId);
    if (nodes.length === 0) {
      if (leafId) throw new StoreError('NOT_FOUND', `no message ${leafId} in conversation ${conversationId}`);
      return [];
    }
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const children = childrenOf(nodes);
    const wanted = leafId ?? conv.currentLeafId;
    let start: NodeRow | undefined;
    if (wanted) {
      start = byId.get(wanted);
      if (!start) throw new StoreError('NOT_FOUND', `no message ${wanted} in conversation ${conversationId}`);
    } else {
      start = nodes.reduce((a, b) => (later(b, a) ? b : a));
    }
    const leaf = latestLeaf(start, children);
    const path: NodeRow[] = [];
    for (let n: NodeRow | undefined = leaf; n; n = n.parent_id ? byId.get(n.parent_id) : undefined) path.push(n);
    path.reverse();
    const rows = this.sql(
      'SELECT * FROM messages WHERE conversation_id = ? AND id IN (SELECT value FROM json_each(?))',
    ).all(conversationId, JSON.stringify(path.map((n) => n.id))) as MessageRow[];
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
  switchBranch(conversationId: string, messageId: string): ThreadEntry[] {
    return this.tx(() => {
      const thread = this.getThread(conversationId, messageId);
      const leaf = thread[thread.length - 1];
      this.sql('UPDATE conversations SET current_leaf_id = ? WHERE id = ?').run(leaf?.message.id ?? null, conversationId);
      return thread;
    });
  }

  /** Deletes a message and every message below it; the selection moves to the nearest remaining branch. */
  deleteMessage(messageId: string): DeleteResult {
    const m = this.requireMessage(messageId);
    const result = this.tx(() => {
      const doomed = this.sql(
        `WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id)
         SELECT id FROM sub`,
      ).all(messageId) as Array<{ id: string }>;
      for (const { id } of doomed) this.writers.get(id)?.close();
      for (const { id } of doomed) this.writers.delete(id);
      this.sql('DELETE FROM messages WHERE id = ?').run(messageId);
      let leaf = this.requireConversation(m.conversationId).currentLeafId;
      if (leaf === null) {
        const nodes = this.nodes(m.conversationId);
        if (nodes.length > 0) {
          const children = childrenOf(nodes);
          const parent = m.parentId ? nodes.find((n) => n.id === m.parentId) : undefined;
          const start = parent ?? nodes.reduce((a, b) => (later(b, a) ? b : a));
          leaf = latestLeaf(start, children).id;
          this.sql('UPDATE conversations SET current_leaf_id = ? WHERE id = ?').run(leaf, m.conversationId);
        }
      }
      this.touch(m.conversationId, this.now());
      return { deleted: doomed.length, currentLeafId: leaf };
    });
    return { ...result, purged: this.purge() };
  }

  // ─── Streaming assistant replies ────────────────────────────────────────────────────────────

  /**
   * Creates the assistant message (status 'incomplete') below `parentId` when generation starts,
   * selects it, and opens a buffered writer for its text. Regenerating is the same call with the
   * parent of the reply being replaced: the new reply becomes a sibling.
   */
  beginAssistantMessage(conversationId: string, parentId: string | null, meta: AssistantMeta = {}): string {
    const id = this.tx(() => {
      this.requireConversation(conversationId);
      this.checkParent(conversationId, parentId);
      const stats: MessageStats = { ...EMPTY_STATS, codec: meta.codec ?? null, model: meta.model ?? null };
      return this.insertMessage(conversationId, parentId, 'assistant', '', 'incomplete', stats);
    });
    this.openWriter(id);
    return id;
  }

  /**
   * Reopens an assistant message (typically one left 'incomplete' by a crash) to stream more text
   * onto the end of what it holds.
   */
  continueMessage(messageId: string): Message {
    if (this.writers.has(messageId)) throw new StoreError('CONFLICT', `message ${messageId} is already being streamed`);
    const m = this.requireMessage(messageId);
    if (m.role !== 'assistant') throw new StoreError('BAD_INPUT', `message ${messageId} is not an assistant reply`);
    this.tx(() => {
      this.sql(
        `UPDATE messages SET status = 'incomplete', error = NULL, stop_reason = NULL, tokens = coalesce(tokens, 0),
                updated_at = ? WHERE id = ?`,
      ).run(this.now(), messageId);
      this.sql('UPDATE conversations SET current_leaf_id = ? WHERE id = ?').run(messageId, m.conversationId);
    });
    this.openWriter(messageId);
    return this.requireMessage(messageId);
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
    const info = this.sql('UPDATE messages SET content = content || ?, updated_at = ? WHERE id = ?').run(
      text,
      this.now(),
      id,
    );
    if (info.changes === 0) throw new StoreError('NOT_FOUND', `no message ${id}`);
  }

  private writer(id: string): StreamingWriter {
    const w = this.writers.get(id);
    if (!w) throw new StoreError('NOT_FOUND', `message ${id} is not being streamed`);
    return w;
  }

  /** Buffers generated text; it reaches the database within the flush interval (≤ 500 ms). */
  appendContent(id: string, text: string): void {
    this.writer(id).append(text);
  }

  /** Writes buffered text now. */
  flush(id: string): void {
    this.writer(id).flush();
  }

  /** Ids of the messages with an open writer. */
  streamingIds(): string[] {
    return [...this.writers.keys()];
  }

  /** Flushes the remaining text and records the outcome and statistics. */
  finishMessage(id: string, input: FinishInput): Message {
    const m = this.requireMessage(id);
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
    const s = statsColumns(parsed.data);
    const t = this.now();
    this.tx(() => {
      this.sql(
        `UPDATE messages SET status = ?, error = ?, tokens = ?, prompt_tokens = ?, tok_s = ?, ttft_ms = ?, codec = ?,
                model = ?, stop_reason = ?, context = ?, updated_at = ? WHERE id = ?`,
      ).run(
        input.status,
        input.error ?? null,
        s.tokens,
        s.prompt_tokens,
        s.tok_s,
        s.ttft_ms,
        s.codec,
        s.model,
        s.stop_reason,
        s.context,
        t,
        id,
      );
      this.touch(m.conversationId, t);
    });
    return this.requireMessage(id);
  }

  private closeWritersOf(conversationId: string): void {
    for (const [id, w] of this.writers) {
      const m = this.getMessage(id);
      if (!m || m.conversationId === conversationId) {
        w.close();
        this.writers.delete(id);
      }
    }
  }

  // ─── Search ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Conversations whose title or one of whose messages contains every term of `query` (case and
   * diacritics folded for terms of three or more characters), best match first, with a snippet.
   */
  search(query: string, options: SearchOptions = {}): SearchHit[] {
    const q = buildSearchQuery(query);
    if (!q) return [];
    const limit = Math.max(1, Math.min(options.limit ?? 50, 1000));
    const likeClauses = q.like.map(() => "AND m.content LIKE ? ESCAPE '\\'").join(' ');
    const titleLike = q.like.map(() => "AND c.title LIKE ? ESCAPE '\\'").join(' ');
    type Hit = SearchHit & { rank: number; seq: number | null };
    const hits = new Map<string, Hit>();

    // Every matching message (ids and rank only); snippets are made for the winners afterwards.
    const messageSql = q.match
      ? `SELECT m.conversation_id AS cid, m.seq AS seq, m.id AS mid, bm25(messages_fts) AS rank
         FROM messages_fts f JOIN messages m ON m.seq = f.rowid
         WHERE messages_fts MATCH ? ${likeClauses} ORDER BY rank LIMIT ${MAX_SEARCH_MATCHES}`
      : `SELECT m.conversation_id AS cid, m.seq AS seq, m.id AS mid, 0 AS rank
         FROM messages m WHERE 1 ${likeClauses} ORDER BY m.created_at DESC LIMIT ${MAX_SEARCH_MATCHES}`;
    const rows = this.sql(messageSql).all(...(q.match ? [q.match, ...q.like] : q.like)) as Array<{
      cid: string;
      seq: number;
      mid: string;
      rank: number;
    }>;
    for (const r of rows) {
      const hit = hits.get(r.cid);
      if (hit) hit.matches += 1;
      else {
        hits.set(r.cid, {
          conversationId: r.cid,
          title: '',
          snippet: '',
          messageId: r.mid,
          matches: 1,
          updatedAt: 0,
          rank: r.rank,
          seq: r.seq,
        });
      }
    }

    const titleSql = q.match
      ? `SELECT c.id AS cid, highlight(conversations_fts, 0, ?, ?) AS snip, bm25(conversations_fts) AS rank, c.title AS title
         FROM conversations_fts f JOIN conversations c ON c.seq = f.rowid
         WHERE conversations_fts MATCH ? ${titleLike}`
      : `SELECT c.id AS cid, NULL AS snip, 0 AS rank, c.title AS title FROM conversations c WHERE 1 ${titleLike}`;
    const titleArgs = q.match ? [SNIPPET_MARK_OPEN, SNIPPET_MARK_CLOSE, q.match, ...q.like] : q.like;
    for (const r of this.sql(titleSql).all(...titleArgs) as Array<{ cid: string; snip: string | null; rank: number; title: string }>) {
      if (hits.has(r.cid)) continue;
      hits.set(r.cid, {
        conversationId: r.cid,
        title: r.title,
        snippet: r.snip ?? likeSnippet(r.title, q.terms),
        messageId: null,
        matches: 0,
        updatedAt: 0,
        rank: r.rank,
        seq: null,
      });
    }
    if (hits.size === 0) return [];

    const meta = this.sql(
      'SELECT id, title, updated_at FROM conversations WHERE id IN (SELECT value FROM json_each(?))',
    ).all(JSON.stringify([...hits.keys()])) as Array<{ id: string; title: string; updated_at: number }>;
    for (const c of meta) {
      const hit = hits.get(c.id) as Hit;
      hit.title = c.title;
      hit.updatedAt = c.updated_at;
    }
    const top = [...hits.values()].sort((a, b) => a.rank - b.rank || b.updatedAt - a.updatedAt).slice(0, limit);
    const ftsSnippet = this.sql(
      'SELECT snippet(messages_fts, 0, ?, ?, ?, 24) AS s FROM messages_fts WHERE messages_fts MATCH ? AND rowid = ?',
    );
    const content = this.sql('SELECT content FROM messages WHERE seq = ?');
    for (const hit of top) {
      if (hit.seq === null) continue;
      const fts = q.match
        ? (ftsSnippet.get(SNIPPET_MARK_OPEN, SNIPPET_MARK_CLOSE, SNIPPET_ELLIPSIS, q.match, hit.seq) as { s: string } | undefined)
        : undefined;
      hit.snippet =
        fts?.s ?? likeSnippet((content.get(hit.seq) as { content: string } | undefined)?.content ?? '', q.terms);
    }
    return top.map(({ rank: _rank, seq: _seq, ...hit }) => hit);
  }

  // ─── Models ─────────────────────────────────────────────────────────────────────────────────

  /** Adds a model to the registry, or replaces the record with the same id. */
  upsertModel(record: z.input<typeof ModelRecordSchema>): ModelRecord {
    const r = ModelRecordSchema.parse(record);
    this.sql(
      `INSERT INTO models (id, name, path, codec, architecture, params, file_bytes, context_length, bits_per_weight,
                           snr_db, source_name, source_bytes, source_path, builtin, added_at, last_used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, path = excluded.path, codec = excluded.codec,
         architecture = excluded.architecture, params = excluded.params, file_bytes = excluded.file_bytes,
         context_length = excluded.context_length, bits_per_weight = excluded.bits_per_weight,
         snr_db = excluded.snr_db, source_name = excluded.source_name, source_bytes = excluded.source_bytes,
         source_path = excluded.source_path, builtin = excluded.builtin, added_at = excluded.added_at, last_used_at = excluded.last_used_at`,
    ).run(
      r.id,
      r.name,
      r.path,
      r.codec,
      r.architecture,
      r.params,
      r.fileBytes,
      r.contextLength,
      r.bitsPerWeight,
      r.snrDb,
      r.sourceName,
      r.sourceBytes,
      r.sourcePath,
      r.builtin ? 1 : 0,
      r.addedAt,
      r.lastUsedAt,
    );
    return this.getModel(r.id) as ModelRecord;
  }

  getModel(id: string): ModelRecord | null {
    const row = this.sql('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
    return row ? toModel(row) : null;
  }

  /** Built-in first, then by when they were added. */
  listModels(): ModelRecord[] {
    return (this.sql('SELECT * FROM models ORDER BY builtin DESC, added_at, seq').all() as ModelRow[]).map(toModel);
  }

  removeModel(id: string): boolean {
    return this.sql('DELETE FROM models WHERE id = ?').run(id).changes > 0;
  }

  /** Records a quality measurement of a model (replacing the previous one). */
  setModelQuality(modelId: string, quality: ModelQualityRecord): ModelQualityRecord {
    const q = ModelQualityRecordSchema.parse(quality);
    if (!this.getModel(modelId)) throw new StoreError('NOT_FOUND', `no model ${modelId}`);
    this.sql(
      `INSERT INTO model_quality (model_id, ppl, tokens, reference_ppl, measured_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (model_id) DO UPDATE SET ppl = excluded.ppl, tokens = excluded.tokens,
         reference_ppl = excluded.reference_ppl, measured_at = excluded.measured_at`,
    ).run(modelId, q.ppl, q.tokens, q.referencePpl, q.measuredAt);
    return q;
  }

  getModelQuality(modelId: string): ModelQualityRecord | null {
    const row = this.sql('SELECT ppl, tokens, reference_ppl, measured_at FROM model_quality WHERE model_id = ?').get(modelId) as
      | { ppl: number; tokens: number; reference_ppl: number | null; measured_at: number }
      | undefined;
    return row ? { ppl: row.ppl, tokens: row.tokens, referencePpl: row.reference_ppl, measuredAt: row.measured_at } : null;
  }

  touchModel(id: string): void {
    if (this.sql('UPDATE models SET last_used_at = ? WHERE id = ?').run(this.now(), id).changes === 0) {
      throw new StoreError('NOT_FOUND', `no model ${id}`);
    }
  }

  // ─── Settings ───────────────────────────────────────────────────────────────────────────────

  getSettings(): Settings {
    const rows = this.sql('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>;
    const stored: Record<string, unknown> = {};
    for (const { key, value } of rows) {
      const field = Settings.shape[key as keyof Settings];
      if (!field) continue;
      const parsed = field.safeParse(JSON.parse(value));
      if (parsed.success) stored[key] = parsed.data;
    }
    return Settings.parse(stored);
  }

  updateSettings(patch: SettingsPatch): Settings {
    const p = SettingsPatch.parse(patch);
    const put = this.sql(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.tx(() => {
      for (const key of SETTINGS_KEYS) {
        if (p[key] !== undefined) put.run(key, JSON.stringify(p[key]));
      }
    });
    return this.getSettings();
  }

  // ─── Presets ────────────────────────────────────────────────────────────────────────────────

  listPresets(): Preset[] {
    return (this.sql('SELECT * FROM presets ORDER BY name COLLATE NOCASE').all() as PresetRow[]).map(toPreset);
  }

  savePreset(input: { id?: string; name: string; systemPrompt?: string; sampling?: SamplingSettingsInput }): Preset {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) throw new StoreError('BAD_INPUT', 'a preset needs a name (1-200 characters)');
    const sampling = SamplingSettings.parse(input.sampling ?? {});
    const t = this.now();
    const id = input.id ?? randomUUID();
    try {
      this.sql(
        `INSERT INTO presets (id, name, system_prompt, sampling, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, system_prompt = excluded.system_prompt,
           sampling = excluded.sampling, updated_at = excluded.updated_at`,
      ).run(id, name, input.systemPrompt ?? '', JSON.stringify(sampling), t, t);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new StoreError('CONFLICT', `a preset named "${name}" already exists`);
      }
      throw e;
    }
    return toPreset(this.sql('SELECT * FROM presets WHERE id = ?').get(id) as PresetRow);
  }

  deletePreset(id: string): boolean {
    return this.sql('DELETE FROM presets WHERE id = ?').run(id).changes > 0;
  }

  // ─── Export and import ──────────────────────────────────────────────────────────────────────

  /** The complete export document (every branch and statistic) of some or all conversations. */
  exportDocument(conversationIds?: readonly string[]): ExportDocument {
    // One read transaction: a consistent snapshot even while a reply is being streamed.
    const conversations = this.db
      .transaction((): ExportConversation[] => {
        const rows = conversationIds
          ? conversationIds.map((id) => {
              const row = this.sql('SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
              if (!row) throw new StoreError('NOT_FOUND', `no conversation ${id}`);
              return row;
            })
          : (this.sql('SELECT * FROM conversations ORDER BY created_at, seq').all() as ConversationRow[]);
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
            messages: this.treeOrder(c.id).map(toExportMessage),
          };
        });
      })
      .deferred();
    return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: iso(this.now()), conversations };
  }

  /** Messages in depth-first order, parents before children, siblings by creation. */
  private treeOrder(conversationId: string): Message[] {
    const rows = this.sql('SELECT * FROM messages WHERE conversation_id = ?').all(conversationId) as MessageRow[];
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

  /**
   * Imports validated export conversations in one transaction. Conversations whose id already
   * exists are skipped and reported as duplicates; a message id that exists elsewhere aborts the
   * whole import (nothing is written).
   */
  importConversations(conversations: readonly ExportConversation[]): ImportResult {
    return this.tx(() => {
      const result: ImportResult = { imported: [], duplicates: [], messages: 0 };
      const insertConversation = this.sql(
        `INSERT INTO conversations (id, title, created_at, updated_at, model_id, model_name, system_prompt, sampling)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const insertMessage = this.sql(
        `INSERT INTO messages (id, conversation_id, parent_id, role, content, status, error, tokens, prompt_tokens,
                               tok_s, ttft_ms, codec, model, stop_reason, context, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const c of conversations) {
        if (this.getConversation(c.id)) {
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
          const existing = this.getMessage(m.id);
          if (existing) {
            throw new StoreError(
              'CONFLICT',
              `message ${m.id} of conversation ${c.id} already exists in conversation ${existing.conversationId}`,
            );
          }
          const s = statsColumns(m.stats);
          insertMessage.run(
            m.id,
            c.id,
            m.parentId,
            m.role,
            m.content,
            m.status,
            m.error,
            s.tokens,
            s.prompt_tokens,
            s.tok_s,
            s.ttft_ms,
            s.codec,
            s.model,
            s.stop_reason,
            s.context,
            ms(m.createdAt),
            ms(m.updatedAt),
          );
          result.messages += 1;
        }
        this.sql('UPDATE conversations SET current_leaf_id = ? WHERE id = ?').run(c.currentLeafId, c.id);
        result.imported.push(c.id);
      }
      return result;
    });
  }

  // ─── Maintenance ────────────────────────────────────────────────────────────────────────────

  /** Copies the database to `dest` with VACUUM INTO (atomic, integrity-checked). */
  backup(dest: string): { path: string; bytes: number } {
    for (const w of this.writers.values()) w.flush();
    return backupTo(this.db, dest);
  }

  /**
   * Makes deleted text unrecoverable: merges the search indexes into one segment each (dropping
   * the entries of deleted documents; secure_delete zeroes the freed pages), then checkpoints and
   * truncates the WAL. Returns false if a reader kept the WAL busy.
   */
  purge(): boolean {
    if (this.db.readonly) return false;
    this.sql("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')").run();
    this.sql("INSERT INTO conversations_fts(conversations_fts) VALUES ('optimize')").run();
    return this.checkpoint();
  }

  /** Moves the WAL into the database file and truncates it; false if a reader kept it busy. */
  checkpoint(): boolean {
    if (this.db.readonly || this.db.name === ':memory:') return true;
    const [r] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    return r !== undefined && r.busy === 0;
  }

  /** SQLite's integrity check plus the search indexes' check against their tables; [] when healthy. */
  integrityCheck(): string[] {
    const problems = (this.db.pragma('integrity_check') as Array<{ integrity_check: string }>)
      .map((r) => r.integrity_check)
      .filter((s) => s !== 'ok');
    problems.push(...(this.db.pragma('foreign_key_check') as unknown[]).map((r) => `foreign key: ${JSON.stringify(r)}`));
    if (this.db.readonly) return problems;
    for (const table of ['messages_fts', 'conversations_fts']) {
      try {
        this.db.prepare(`INSERT INTO ${table}(${table}, rank) VALUES ('integrity-check', 1)`).run();
      } catch (e) {
        problems.push(`${table}: ${(e as Error).message}`);
      }
    }
    return problems;
  }
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

export { StoreError } from './db.js';
