// The message channel between the main process and the engine host (a child process).
// Requests carry an id and are answered exactly once; events flow from the host unprompted
// (streams are keyed by the job id the main process chose).
import type { EngineMemory, QinsErrorShape } from './contract.js';
import type { Codec } from './codecs.js';
import type { ContextPolicy, SamplingSettings } from './records.js';

export interface HostChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What the host reports about a model it loaded. */
export interface HostModelInfo {
  path: string;
  engine: 'qins' | 'ort';
  codec: string | null;
  architecture: string;
  params: number;
  contextLength: number;
  weightBytes: number;
  fileBytes: number;
  loadMs: number;
  /** The model ships a chat template. */
  chat: boolean;
  /** generation_config.json sampling defaults mapped onto our settings. */
  defaults: SamplingSettings;
}

export interface HostContext {
  contextLength: number;
  promptTokens: number;
  droppedMessages: number;
  maxReplyTokens: number;
  note: string | null;
}

export interface HostGenerateResult {
  text: string;
  promptTokens: number;
  reusedTokens: number;
  tokens: number;
  ttftMs: number;
  tokensPerSecond: number;
  totalMs: number;
  stopReason: 'eos' | 'length' | 'stopped' | 'context';
  seed: number;
  context: HostContext;
}

export interface HostConvertProgress {
  phase: string;
  bytesDone: number;
  bytesTotal: number;
  tensor: string | null;
  tensorsDone: number;
  tensorsTotal: number;
  etaMs: number | null;
}

export interface HostConvertResult {
  path: string;
  fileBytes: number;
  architecture: string;
  codec: string;
  params: number;
  bitsPerWeight: number;
  snrDb: number | null;
  contextLength: number;
  sourceName: string;
  sourceBytes: number;
  seconds: number;
}

/** Methods the engine host answers: params in, result out. */
export interface HostMethods {
  ping: { params: Record<string, never>; result: { pid: number; uptimeMs: number } };
  memory: { params: Record<string, never>; result: EngineMemory };
  /** Loads a model (replacing the loaded one). */
  'model.load': { params: { path: string; threads?: number | null; contextLength?: number | null }; result: HostModelInfo };
  'model.unload': { params: Record<string, never>; result: { unloaded: boolean } };
  /** Prompt tokens of a chat (system prompt and template included) on the loaded model. */
  'model.countTokens': { params: { messages: HostChatMessage[] }; result: { tokens: number; contextLength: number } };
  /** Generates a reply on the loaded model; streams 'generate.delta' events. */
  generate: {
    params: {
      jobId: string;
      messages: HostChatMessage[];
      /** Continue this partial assistant reply instead of starting a new one. */
      assistantPrefix?: string;
      sampling: SamplingSettings;
      contextPolicy: ContextPolicy;
    };
    result: HostGenerateResult;
  };
  'generate.cancel': { params: { jobId: string }; result: { cancelled: boolean } };
  /** Converts a checkpoint (or unpacks a .qinz) to `destination`; streams 'convert.progress'. */
  /**
   * kind 'convert' (default): checkpoint folder → .qins with `codec`; 'export': checkpoint folder →
   * FP32 ONNX folder at `destination`; 'unpack': .qinz → the .qins it was packed from.
   */
  convert: { params: { jobId: string; source: string; destination: string; codec: Codec; kind?: 'convert' | 'export' | 'unpack' }; result: HostConvertResult };
  'convert.cancel': { params: { jobId: string }; result: { cancelled: boolean } };
  /** Perplexity of the model at `path` on a text file; streams 'eval.progress'. */
  'eval.perplexity': { params: { jobId: string; path: string; textPath: string; window?: number }; result: { ppl: number; tokens: number; nllSum: number } };
  'eval.cancel': { params: { jobId: string }; result: { cancelled: boolean } };
}
export type HostMethod = keyof HostMethods;

/** Events the host emits, by name. */
export interface HostEvents {
  'generate.delta': { jobId: string; text: string; tokens: number };
  'convert.progress': { jobId: string; progress: HostConvertProgress };
  'eval.progress': { jobId: string; done: number; total: number };
}
export type HostEventName = keyof HostEvents;

export interface HostRequest<M extends HostMethod = HostMethod> {
  kind: 'request';
  id: number;
  method: M;
  params: HostMethods[M]['params'];
}

export type HostReply =
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: QinsErrorShape };

export interface HostEvent<E extends HostEventName = HostEventName> {
  kind: 'event';
  event: E;
  data: HostEvents[E];
}

/** Sent once by the host when it is ready to take requests. */
export interface HostReady {
  kind: 'ready';
  pid: number;
}

export type ToHost = HostRequest;
export type FromHost = HostReply | HostEvent | HostReady;

export function isFromHost(m: unknown): m is FromHost {
  if (typeof m !== 'object' || m === null) return false;
  const kind = (m as { kind?: unknown }).kind;
  return kind === 'reply' || kind === 'event' || kind === 'ready';
}
