// The OpenAI-compatible API's view of the core: completions go through the same generation
// queue as the chat UI (one generation at a time per loaded model), without touching the store.
import { randomUUID } from 'node:crypto';
import { QinsError } from '../../src-shared/contract.js';
import type { HostEventArgs } from '../../src-shared/engine-protocol.js';
import type { SamplingSettings } from '../../src-shared/records.js';
import type { EngineSupervisor } from './engine-supervisor.js';
import type { GenerationQueue } from './generation-queue.js';
import type { ModelLibrary } from './library.js';

export interface ApiChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompletionRequest {
  /** The model the client asked for; undefined = the loaded model. */
  model: string | undefined;
  messages: ApiChatMessage[];
  sampling: SamplingSettings;
  signal: AbortSignal;
  /** Called with each new piece of reply text, in order. */
  onDelta(text: string): void;
}

export interface CompletionResult {
  model: string;
  text: string;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
}

/** What the API needs from the core (a generation queue in front of the engine host). */
export interface CompletionService {
  listModels(): Promise<Array<{ id: string; created: number }>>;
  /**
   * Runs one completion. Rejects with QinsError: BUSY when the queue is full, NOT_FOUND for an
   * unknown model, CANCELLED when `signal` fired before it started, ENGINE_* when the engine failed.
   */
  complete(request: CompletionRequest): Promise<CompletionResult>;
}

export class ApiCompletionService implements CompletionService {
  constructor(
    private readonly library: ModelLibrary,
    private readonly engine: EngineSupervisor,
    private readonly queue: GenerationQueue,
    private readonly contextPolicy: () => 'drop-oldest' | 'stop',
    /** Resolves when the library is usable (a first-run conversion has finished). */
    private readonly libraryReady: () => Promise<void> = async () => undefined,
  ) {}

  async listModels(): Promise<Array<{ id: string; created: number }>> {
    await this.libraryReady();
    return this.library
      .list()
      .filter((m) => !m.missing)
      .map((m) => ({ id: m.id, created: Math.floor(m.addedAt / 1000) }));
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    await this.libraryReady();
    if (req.model !== undefined && !this.library.list().some((m) => m.id === req.model)) {
      throw new QinsError('NOT_FOUND', `no model "${req.model}" (GET /v1/models lists them)`);
    }
    const jobId = randomUUID();
    const onEvent = (...[event, data]: HostEventArgs) => {
      if (event === 'generate.delta' && data.jobId === jobId && data.text) req.onDelta(data.text);
    };
    const onAbort = () => {
      if (this.queue.cancel(jobId)) void this.engine.call('generate.cancel', { jobId }).catch(() => undefined);
    };
    req.signal.addEventListener('abort', onAbort);
    this.engine.on('event', onEvent);
    try {
      return await this.queue.submit({
        jobId,
        run: async (signal) => {
          if (signal.aborted || req.signal.aborted) throw new QinsError('CANCELLED', 'the client went away');
          const model = await this.library.ensureLoaded(req.model);
          if (!model.chat) throw new QinsError('UNSUPPORTED', `${model.name} has no chat template`);
          const r = await this.engine.call('generate', { jobId, messages: req.messages, sampling: req.sampling, contextPolicy: this.contextPolicy() });
          return {
            model: model.modelId,
            text: r.text,
            finishReason: r.stopReason === 'length' || r.stopReason === 'context' ? 'length' : 'stop',
            promptTokens: r.promptTokens,
            completionTokens: r.tokens,
          };
        },
      });
    } finally {
      req.signal.removeEventListener('abort', onAbort);
      this.engine.off('event', onEvent);
    }
  }
}
