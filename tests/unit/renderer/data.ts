// Sample domain objects for component tests.
import type { Conversation, LoadedModel, Message, ModelInfo, SamplingSettings, ThreadEntry } from '../../../src-shared/contract';

export const sampling = (over: Partial<SamplingSettings> = {}): SamplingSettings => ({
  temperature: 0.7,
  top_p: 0.95,
  top_k: 40,
  min_p: 0.05,
  repetition_penalty: 1.1,
  max_tokens: 1024,
  seed: null,
  stop: [],
  ...over,
});

export const conversation = (over: Partial<Conversation> = {}): Conversation => ({
  id: 'c1',
  title: 'What does "harbor" mean?',
  createdAt: 1,
  updatedAt: 2,
  modelId: 'm1',
  modelName: 'tiny-phi3-chat',
  systemPrompt: '',
  sampling: sampling(),
  currentLeafId: null,
  ...over,
});

export const message = (over: Partial<Message> & Pick<Message, 'id' | 'role'>): Message => ({
  conversationId: 'c1',
  parentId: null,
  content: '',
  status: 'complete',
  error: null,
  stats:
    over.role === 'assistant'
      ? { tokens: 12, prompt_tokens: 20, tok_s: 85.25, ttft_ms: 42, codec: 'qins8', model: 'tiny-phi3-chat', stop_reason: 'eos', context: null }
      : null,
  createdAt: 1,
  updatedAt: 1,
  ...over,
});

export const entry = (m: Message, siblingIndex = 0, siblingIds: string[] = [m.id]): ThreadEntry => ({ message: m, siblingIndex, siblingCount: siblingIds.length, siblingIds });

export const model = (over: Partial<ModelInfo> = {}): ModelInfo => ({
  id: 'm1',
  name: 'tiny-phi3-chat',
  path: '/home/u/.qins/models/tiny-phi3-chat-qins8.qins',
  codec: 'qins8',
  architecture: 'phi3',
  params: 24_286_464,
  fileBytes: 27_728_192,
  contextLength: 4096,
  bitsPerWeight: 8.5,
  snrDb: 40,
  sourceName: 'tiny-phi3-chat',
  sourcePath: '/assets/models/tiny-phi3-chat',
  sourceBytes: 48_600_000,
  builtin: true,
  addedAt: 1,
  lastUsedAt: null,
  engine: 'qins',
  quality: null,
  missing: false,
  ...over,
});

export const loaded = (over: Partial<LoadedModel> = {}): LoadedModel => ({
  modelId: 'm1',
  name: 'tiny-phi3-chat',
  engine: 'qins',
  codec: 'qins8',
  architecture: 'phi3',
  params: 24_286_464,
  contextLength: 4096,
  weightBytes: 17_000_000,
  fp32Bytes: 24_286_464 * 4,
  loadMs: 30,
  chat: true,
  defaults: sampling({ temperature: 0.6, top_p: 0.9 }),
  ...over,
});
