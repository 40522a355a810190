// The conversation store's table rows and their mapping to and from the domain types of src-shared/records.ts.
import {
  ContextInfo,
  type Conversation,
  type Message,
  type MessageStats,
  type MessageStatus,
  type ModelRecord,
  type Preset,
  SamplingSettings,
  type StopReason,
  defaultSampling,
} from '../../../src-shared/records.js';

export interface ConversationRow {
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

export interface MessageRow {
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
export interface NodeRow {
  seq: number;
  id: string;
  parent_id: string | null;
  created_at: number;
}

export interface ModelRow {
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

export interface PresetRow {
  id: string;
  name: string;
  system_prompt: string;
  sampling: string;
  created_at: number;
  updated_at: number;
}

export const EMPTY_STATS: MessageStats = {
  tokens: 0,
  prompt_tokens: null,
  tok_s: null,
  ttft_ms: null,
  codec: null,
  model: null,
  stop_reason: null,
  context: null,
};

export function parseSampling(json: string): SamplingSettings {
  const parsed = SamplingSettings.safeParse(JSON.parse(json));
  return parsed.success ? parsed.data : defaultSampling();
}

export function toConversation(row: ConversationRow): Conversation {
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

export function toMessage(row: MessageRow): Message {
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

/**
 * Values of a stats object for the messages table's stats columns, in this order: tokens,
 * prompt_tokens, tok_s, ttft_ms, codec, model, stop_reason, context (all null when there are none).
 */
export function statsValues(stats: MessageStats | null) {
  return [
    stats?.tokens ?? null,
    stats?.prompt_tokens ?? null,
    stats?.tok_s ?? null,
    stats?.ttft_ms ?? null,
    stats?.codec ?? null,
    stats?.model ?? null,
    stats?.stop_reason ?? null,
    stats?.context ? JSON.stringify(ContextInfo.parse(stats.context)) : null,
  ] as const;
}

export function toModel(row: ModelRow): ModelRecord {
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

export function toPreset(row: PresetRow): Preset {
  return {
    id: row.id,
    name: row.name,
    systemPrompt: row.system_prompt,
    sampling: parseSampling(row.sampling),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
