// The model the engine host has loaded, with its chat session. One at a time: loading another
// disposes the previous one (after its generation, if any, has stopped).
import { defaultSampling, type SamplingSettings } from '../../../src-shared/records.js';
import { type EngineMemory, QinsError } from '../../../src-shared/contract.js';
import type { ChatSession } from '../chat-session.js';
import { type LoadedModel, openModel } from '../model.js';
import { specParams } from '../onnx/model-dir.js';
import type { HostModelInfo } from '../../../src-shared/engine-protocol.js';

/** generation_config.json sampling fields mapped onto our settings (missing fields keep our defaults). */
export function samplingDefaults(files: Readonly<Record<string, string>>): SamplingSettings {
  const s = defaultSampling();
  const text = files['generation_config.json'];
  if (!text) return s;
  let g: Record<string, unknown>;
  try {
    g = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return s;
  }
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const t = num(g.temperature);
  if (t !== undefined && t >= 0 && t <= 5) s.temperature = t;
  const p = num(g.top_p);
  if (p !== undefined && p > 0 && p <= 1) s.top_p = p;
  const k = num(g.top_k);
  if (k !== undefined && Number.isInteger(k) && k >= 0) s.top_k = k;
  const mp = num(g.min_p);
  if (mp !== undefined && mp >= 0 && mp <= 1) s.min_p = mp;
  const rp = num(g.repetition_penalty);
  if (rp !== undefined && rp > 0 && rp <= 5) s.repetition_penalty = rp;
  if (g.do_sample === false) s.temperature = 0;
  return s;
}

/** Weights counted from the .qins tensor table, or from the spec for ONNX folders. */
function paramCount(model: LoadedModel): number {
  return model.header ? model.header.stats.params : specParams(model.spec);
}

export class ModelSlot {
  private model: LoadedModel | undefined;
  private session: ChatSession | undefined;
  private info: HostModelInfo | undefined;

  get loaded(): HostModelInfo | undefined {
    return this.info;
  }

  /** The loaded model, or an error the UI can act on. */
  current(): { model: LoadedModel; session: ChatSession | undefined; info: HostModelInfo } {
    if (!this.model || !this.info) throw new QinsError('NOT_FOUND', 'no model is loaded');
    return { model: this.model, session: this.session, info: this.info };
  }

  async load(path: string, options: { threads?: number | null; contextLength?: number | null }): Promise<HostModelInfo> {
    await this.unload();
    const t0 = performance.now();
    const model = await openModel(path, { threads: options.threads ?? undefined, contextLength: options.contextLength ?? undefined });
    // Load is not done until the first token could be produced: touch the weights once.
    const session = model.template ? model.chat() : undefined;
    const loadMs = performance.now() - t0;
    const mem = model.backend.memory();
    this.model = model;
    this.session = session;
    this.info = {
      path: model.path,
      engine: model.engine,
      codec: model.codec,
      architecture: model.spec.architecture,
      params: paramCount(model),
      contextLength: session?.contextLength ?? model.backend.contextLength,
      weightBytes: mem.weightBytes,
      fileBytes: model.fileBytes,
      loadMs,
      chat: session !== undefined,
      defaults: samplingDefaults(model.header?.files ?? {}),
    };
    return this.info;
  }

  async unload(): Promise<boolean> {
    const model = this.model;
    if (!model) return false;
    this.model = undefined;
    this.session = undefined;
    this.info = undefined;
    await model.dispose();
    return true;
  }

  /** The loaded model's memory, measured now: resident weight bytes (null when the engine cannot tell) and the KV cache in use / reserved. */
  async memory(): Promise<Pick<EngineMemory, 'weightsMapped' | 'weightsFileBytes' | 'kvBytesUsed' | 'kvBytesReserved'>> {
    const model = this.model;
    if (!model) return { weightsMapped: 0, weightsFileBytes: 0, kvBytesUsed: 0, kvBytesReserved: 0 };
    const resident = await model.backend.residentWeightBytes().catch(() => null);
    // Read after the measurement: a generation may have moved the cache meanwhile.
    const m = model.backend.memory();
    return { weightsMapped: resident, weightsFileBytes: model.fileBytes, kvBytesUsed: m.kvBytesUsed, kvBytesReserved: m.kvBytes };
  }
}
