// The conversation store: the one typed repository over the SQLite database. `ChatStore` is the
// facade callers use; the SQL lives in the modules it composes, one per table family
// (conversations, messages, replies, search, models, settings, archive, maintenance; plus the
// migrations). Callers get and pass the domain types of src-shared/records.ts. All calls are synchronous
// (better-sqlite3).
import type { z } from 'zod';
import { exportDocument, importConversations } from './archive.js';
import { StoreContext } from './context.js';
import {
  createConversation,
  deleteConversationRow,
  getConversation,
  listConversations,
  updateConversation,
} from './conversations.js';
import { backupTo, type Db, openDatabase, type OpenOptions } from './db.js';
import { checkpoint, integrityCheck, purge } from './maintenance.js';
import { addUserMessage, deleteSubtree, editUserMessage, getMessage, getThread, switchBranch } from './messages.js';
import { getModel, getModelQuality, listModels, removeModel, setModelQuality, touchModel, upsertModel } from './models.js';
import { type AssistantMeta, type FinishInput, ReplyStreams, type ReplyOptions } from './replies.js';
import type {
  Conversation,
  ConversationPatch,
  ConversationSummary,
  ExportConversation,
  ExportDocument,
  ImportResult,
  Message,
  ModelQualityRecord,
  ModelRecord,
  NewConversation,
  Preset,
  SamplingSettingsInput,
  SearchHit,
  Settings,
  SettingsPatch,
  ThreadEntry,
} from '../../../src-shared/records.js';
import { searchConversations, type SearchOptions } from './search.js';
import { deletePreset, getSettings, listPresets, savePreset, updateSettings } from './settings.js';

export type { AssistantMeta, FinishInput } from './replies.js';
export type { SearchOptions } from './search.js';

export interface ChatStoreOptions extends OpenOptions, ReplyOptions {
  /** Clock (epoch ms); tests inject one. */
  now?: () => number;
}

export interface DeleteResult {
  /** Messages removed (the message and everything below it). */
  deleted: number;
  /** The conversation's selected leaf afterwards. */
  currentLeafId: string | null;
  /** The -wal file was checkpointed and truncated, so the deleted text is gone from disk. */
  purged: boolean;
}

export class ChatStore {
  private readonly ctx: StoreContext;
  private readonly replies: ReplyStreams;

  private constructor(
    readonly db: Db,
    readonly path: string,
    options: ChatStoreOptions,
  ) {
    this.ctx = new StoreContext(db, options.now ?? Date.now);
    this.replies = new ReplyStreams(this.ctx, options);
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
    this.replies.closeAll();
    if (!this.db.readonly) this.checkpoint();
    this.db.close();
  }

  // ─── Conversations (./conversations.ts) ─────────────────────────────────────────────────────

  createConversation(input: NewConversation = {}): Conversation {
    return createConversation(this.ctx, input);
  }

  getConversation(id: string): Conversation | null {
    return getConversation(this.ctx, id);
  }

  /** Most recently active first. */
  listConversations(options: { limit?: number; offset?: number } = {}): ConversationSummary[] {
    return listConversations(this.ctx, options);
  }

  /** Changes title, model, system prompt or sampling (does not count as activity for ordering). */
  updateConversation(id: string, patch: ConversationPatch): Conversation {
    return updateConversation(this.ctx, id, patch);
  }

  /**
   * Deletes a conversation with all its messages and their search entries, then checkpoints the
   * WAL so the text is gone from both files (secure_delete zeroes the freed pages).
   */
  deleteConversation(id: string): { deleted: boolean; purged: boolean } {
    this.replies.closeConversation(id);
    if (!deleteConversationRow(this.ctx, id)) return { deleted: false, purged: false };
    return { deleted: true, purged: this.purge() };
  }

  // ─── Messages and branches (./messages.ts) ──────────────────────────────────────────────────

  getMessage(id: string): Message | null {
    return getMessage(this.ctx, id);
  }

  /** Appends a user message below `parentId` (null: a new root) and selects it. */
  addUserMessage(conversationId: string, parentId: string | null, content: string): Message {
    return addUserMessage(this.ctx, conversationId, parentId, content);
  }

  /** Editing a user message: a new sibling with the new text (the original stays as a branch). */
  editUserMessage(messageId: string, content: string): Message {
    return editUserMessage(this.ctx, messageId, content);
  }

  /**
   * The root → leaf path through `leafId` (default: the selected leaf). If `leafId` has children
   * the path continues down to the most recently created leaf below it. Each entry tells where the
   * message sits among its siblings.
   */
  getThread(conversationId: string, leafId?: string | null): ThreadEntry[] {
    return getThread(this.ctx, conversationId, leafId);
  }

  /** Selects the branch through `messageId` (down to its latest leaf) and returns that thread. */
  switchBranch(conversationId: string, messageId: string): ThreadEntry[] {
    return switchBranch(this.ctx, conversationId, messageId);
  }

  /** Deletes a message and every message below it; the selection moves to the nearest remaining branch. */
  deleteMessage(messageId: string): DeleteResult {
    const result = deleteSubtree(this.ctx, messageId, (ids) => this.replies.closeMessages(ids));
    return { ...result, purged: this.purge() };
  }

  // ─── Streaming assistant replies (./replies.ts) ─────────────────────────────────────────────

  /**
   * Creates the assistant message (status 'incomplete') below `parentId` when generation starts,
   * selects it, and opens a buffered writer for its text. Regenerating is the same call with the
   * parent of the reply being replaced: the new reply becomes a sibling.
   */
  beginAssistantMessage(conversationId: string, parentId: string | null, meta: AssistantMeta = {}): string {
    return this.replies.begin(conversationId, parentId, meta);
  }

  /**
   * Reopens an assistant message (typically one left 'incomplete' by a crash) to stream more text
   * onto the end of what it holds.
   */
  continueMessage(messageId: string): Message {
    return this.replies.continue(messageId);
  }

  /** Buffers generated text; it reaches the database within the flush interval (≤ 500 ms). */
  appendContent(id: string, text: string): void {
    this.replies.append(id, text);
  }

  /** Writes buffered text now. */
  flush(id: string): void {
    this.replies.flush(id);
  }

  /** Ids of the messages with an open writer. */
  streamingIds(): string[] {
    return this.replies.ids();
  }

  /** Flushes the remaining text and records the outcome and statistics. */
  finishMessage(id: string, input: FinishInput): Message {
    return this.replies.finish(id, input);
  }

  // ─── Search (./search.ts) ───────────────────────────────────────────────────────────────────

  /**
   * Conversations whose title or one of whose messages contains every term of `query` (case and
   * diacritics folded for terms of three or more characters), best match first, with a snippet.
   */
  search(query: string, options: SearchOptions = {}): SearchHit[] {
    return searchConversations(this.ctx, query, options);
  }

  // ─── Models (./models.ts) ───────────────────────────────────────────────────────────────────

  /** Adds a model to the registry, or replaces the record with the same id. */
  upsertModel(record: z.input<typeof ModelRecord>): ModelRecord {
    return upsertModel(this.ctx, record);
  }

  getModel(id: string): ModelRecord | null {
    return getModel(this.ctx, id);
  }

  /** Built-in first, then by when they were added. */
  listModels(): ModelRecord[] {
    return listModels(this.ctx);
  }

  removeModel(id: string): boolean {
    return removeModel(this.ctx, id);
  }

  /** Records a quality measurement of a model (replacing the previous one). */
  setModelQuality(modelId: string, quality: ModelQualityRecord): ModelQualityRecord {
    return setModelQuality(this.ctx, modelId, quality);
  }

  getModelQuality(modelId: string): ModelQualityRecord | null {
    return getModelQuality(this.ctx, modelId);
  }

  touchModel(id: string): void {
    touchModel(this.ctx, id);
  }

  // ─── Settings and presets (./settings.ts) ───────────────────────────────────────────────────

  getSettings(): Settings {
    return getSettings(this.ctx);
  }

  updateSettings(patch: SettingsPatch): Settings {
    return updateSettings(this.ctx, patch);
  }

  listPresets(): Preset[] {
    return listPresets(this.ctx);
  }

  savePreset(input: { id?: string; name: string; systemPrompt?: string; sampling?: SamplingSettingsInput }): Preset {
    return savePreset(this.ctx, input);
  }

  deletePreset(id: string): boolean {
    return deletePreset(this.ctx, id);
  }

  // ─── Export and import (./archive.ts) ───────────────────────────────────────────────────────

  /** The complete export document (every branch and statistic) of some or all conversations. */
  exportDocument(conversationIds?: readonly string[]): ExportDocument {
    return exportDocument(this.ctx, conversationIds);
  }

  /**
   * Imports validated export conversations in one transaction. Conversations whose id already
   * exists are skipped and reported as duplicates; a message id that exists elsewhere aborts the
   * whole import (nothing is written).
   */
  importConversations(conversations: readonly ExportConversation[]): ImportResult {
    return importConversations(this.ctx, conversations);
  }

  // ─── Maintenance (./maintenance.ts) ─────────────────────────────────────────────────────────

  /** Copies the database to `dest` with VACUUM INTO (atomic, integrity-checked). */
  backup(dest: string): { path: string; bytes: number } {
    this.replies.flushAll();
    return backupTo(this.db, dest);
  }

  /**
   * Makes deleted text unrecoverable: merges the search indexes into one segment each (dropping
   * the entries of deleted documents; secure_delete zeroes the freed pages), then checkpoints and
   * truncates the WAL. Returns false if a reader kept the WAL busy.
   */
  purge(): boolean {
    return purge(this.ctx);
  }

  /** Moves the WAL into the database file and truncates it; false if a reader kept it busy. */
  checkpoint(): boolean {
    return checkpoint(this.ctx);
  }

  /** SQLite's integrity check plus the search indexes' check against their tables; [] when healthy. */
  integrityCheck(): string[] {
    return integrityCheck(this.ctx);
  }
}

export { StoreError } from './db.js';
