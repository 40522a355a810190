// Chat generation in the engine host: maps our sampling settings onto the sampler, applies the
// context policy, and streams reply text as it is produced.
import { QinsError } from '../../../src-shared/contract.js';
import type { ContextPolicy, SamplingSettings } from '../../../src-shared/records.js';
import { ContextOverflowError, SessionBusyError } from '../generate.js';
import type { SamplingParams } from '../sampler.js';
import type { HostChatMessage, HostGenerateResult } from '../../../src-shared/engine-protocol.js';
import type { ModelSlot } from './model-slot.js';

export function toSamplingParams(s: SamplingSettings, contextLength: number): Partial<SamplingParams> {
  return {
    temperature: s.temperature,
    topP: s.top_p,
    topK: s.top_k,
    minP: s.min_p,
    repetitionPenalty: s.repetition_penalty,
    maxTokens: s.max_tokens ?? contextLength,
    ...(s.seed === null ? {} : { seed: s.seed }),
    stop: s.stop,
  };
}

export interface GenerateParams {
  messages: HostChatMessage[];
  assistantPrefix?: string;
  sampling: SamplingSettings;
  contextPolicy: ContextPolicy;
  signal: AbortSignal;
  onDelta(text: string, tokens: number): void;
}

export async function generateReply(slot: ModelSlot, p: GenerateParams): Promise<HostGenerateResult> {
  const { session, info } = slot.current();
  if (!session) throw new QinsError('UNSUPPORTED', `${info.path}: the model has no chat template, so it cannot chat`);
  const sampling = toSamplingParams(p.sampling, info.contextLength);
  if (p.contextPolicy === 'stop') {
    const plan = session.plan(p.messages, sampling.maxTokens ?? info.contextLength, p.assistantPrefix);
    if (plan.context.droppedMessages > 0)
      throw new QinsError('BAD_INPUT', `the conversation no longer fits the ${info.contextLength}-token context (policy: stop). Start a new chat or switch the context policy to drop the oldest turns.`);
  }
  try {
    const r = await session.generate({
      messages: p.messages,
      assistantPrefix: p.assistantPrefix,
      sampling,
      signal: p.signal,
      onToken: (d) => p.onDelta(d.text, d.tokens),
    });
    return {
      text: r.text,
      promptTokens: r.promptTokens,
      reusedTokens: r.reusedTokens,
      tokens: r.tokens,
      ttftMs: r.ttftMs,
      tokensPerSecond: r.tokensPerSecond,
      totalMs: r.totalMs,
      stopReason: r.stop.reason,
      seed: r.seed,
      context: {
        contextLength: r.context.contextLength,
        promptTokens: r.context.promptTokens,
        droppedMessages: r.context.droppedMessages,
        maxReplyTokens: r.context.maxReplyTokens,
        note: r.context.note,
      },
    };
  } catch (e) {
    if (e instanceof ContextOverflowError) throw new QinsError('BAD_INPUT', e.message);
    if (e instanceof SessionBusyError) throw new QinsError('BUSY', e.message);
    throw e;
  }
}
