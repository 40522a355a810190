// OpenAI-compatible endpoints of the web host: GET /v1/models and POST /v1/chat/completions
// (streaming as server-sent events, or one JSON response). The web host has already checked the
// token, the Host header and the Origin before a request reaches these routes.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { type ErrorCode, QinsError } from '../../src-shared/contract.js';
import type { ApiChatMessage, CompletionRequest, CompletionResult, CompletionService } from '../core/api-service.js';
import { type SamplingSettings, defaultSampling } from '../../src-shared/records.js';

export type { ApiChatMessage, CompletionRequest, CompletionResult, CompletionService };

export const MAX_API_BODY_BYTES = 1024 * 1024;

// ─── Request schema ────────────────────────────────────────────────────────────────────────────

const TextPart = z.object({ type: z.literal('text'), text: z.string() });
const Content = z.union([z.string(), z.array(TextPart).max(1000)]).transform((c) => (typeof c === 'string' ? c : c.map((p) => p.text).join('')));

const Message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: Content,
  name: z.string().optional(),
});

const ChatCompletionBody = z.object({
  model: z.string().max(500).optional(),
  messages: z.array(Message).min(1).max(10_000),
  stream: z.boolean().optional().default(false),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(16)]).nullish(),
  n: z.literal(1).nullish(),
  // Sampler fields beyond OpenAI's (as llama.cpp's server and LM Studio accept them).
  top_k: z.number().int().min(0).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repetition_penalty: z.number().gt(0).max(5).nullish(),
  // Accepted and ignored, so ordinary clients work.
  user: z.string().optional(),
  frequency_penalty: z.number().optional(),
  presence_penalty: z.number().optional(),
  logprobs: z.literal(false).nullish(),
});
export type ChatCompletionBody = z.infer<typeof ChatCompletionBody>;

/** Maps an OpenAI request onto the app's sampling settings (unspecified fields keep our defaults). */
export function samplingFrom(body: ChatCompletionBody): SamplingSettings {
  const s = defaultSampling();
  const set = <K extends keyof SamplingSettings>(key: K, value: SamplingSettings[K] | null | undefined) => {
    if (value !== null && value !== undefined) s[key] = value;
  };
  set('temperature', body.temperature);
  set('top_p', body.top_p);
  set('top_k', body.top_k);
  set('min_p', body.min_p);
  set('repetition_penalty', body.repetition_penalty);
  set('max_tokens', body.max_completion_tokens ?? body.max_tokens);
  set('seed', body.seed);
  if (body.stop) s.stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  // OpenAI clients expect no repetition penalty unless they ask for one.
  if (body.repetition_penalty === undefined || body.repetition_penalty === null) s.repetition_penalty = 1;
  return s;
}

// ─── Responses ─────────────────────────────────────────────────────────────────────────────────

const STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_PAYLOAD: 400,
  BAD_INPUT: 400,
  NOT_FOUND: 404,
  BUSY: 429,
  CANCELLED: 499,
  ENGINE_UNAVAILABLE: 503,
  ENGINE_CRASHED: 502,
  UNSUPPORTED: 400,
};

function errorBody(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  if (e instanceof QinsError) {
    const status = STATUS[e.code] ?? 500;
    const headers: Record<string, string> = e.code === 'BUSY' ? { 'Retry-After': '2' } : {};
    sendJson(res, status, errorBody(e.message, status === 429 ? 'rate_limit_error' : status < 500 ? 'invalid_request_error' : 'server_error', e.code.toLowerCase()), headers);
    return;
  }
  sendJson(res, 500, errorBody(e instanceof Error ? e.message : String(e), 'server_error', 'internal'));
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a request body up to `limit` bytes; rejects with 413 beyond it. */
export function readBody(req: IncomingMessage, limit = MAX_API_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyError(413, `request body exceeds ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new BodyError(413, `request body exceeds ${limit} bytes`));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function describeIssue(error: z.ZodError): { message: string; param: string | null } {
  const issue = error.issues[0];
  const param = issue?.path.length ? issue.path.map(String).join('.') : null;
  return { message: `${param ?? 'body'}: ${issue?.message ?? 'invalid'}`, param };
}

const toApiMessages = (body: ChatCompletionBody): ApiChatMessage[] =>
  body.messages.map((m) => ({ role: m.role === 'developer' ? 'system' : m.role, content: m.content }));

async function chatCompletions(service: CompletionService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw: string;
  try {
    raw = await readBody(req);
  } catch (e) {
    if (e instanceof BodyError) return sendJson(res, e.status, errorBody(e.message, 'invalid_request_error', 'body_too_large'), { Connection: 'close' });
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    return sendJson(res, 400, errorBody(`malformed JSON: ${(e as Error).message}`, 'invalid_request_error', 'invalid_json'));
  }
  const parsed = ChatCompletionBody.safeParse(json);
  if (!parsed.success) {
    const { message, param } = describeIssue(parsed.error);
    return sendJson(res, 400, errorBody(message, 'invalid_request_error', 'invalid_value', param));
  }
  const body = parsed.data;
  const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const abort = new AbortController();
  // A client that goes away cancels its generation (queued or running).
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const request: Omit<CompletionRequest, 'onDelta'> = { model: body.model, messages: toApiMessages(body), sampling: samplingFrom(body), signal: abort.signal };

  if (!body.stream) {
    try {
      const r = await service.complete({ ...request, onDelta: () => undefined });
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: r.model,
        choices: [{ index: 0, message: { role: 'assistant', content: r.text }, finish_reason: r.finishReason, logprobs: null }],
        usage: { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens },
      });
    } catch (e) {
      if (!res.destroyed) sendError(res, e);
    }
    return;
  }

  let started = false;
  let model = body.model ?? '';
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...extra })}\n\n`;
  const start = () => {
    if (started) return;
    started = true;
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write(chunk({ role: 'assistant', content: '' }, null));
  };
  try {
    const r = await service.complete({
      ...request,
      onDelta: (text) => {
        start();
        if (text) res.write(chunk({ content: text }, null));
      },
    });
    model = r.model;
    start();
    const usage = { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens };
    res.write(chunk({}, r.finishReason));
    if (body.stream_options?.include_usage) res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  } catch (e) {
    if (res.destroyed) return;
    if (!started) return sendError(res, e);
    // The stream is under way: report the error as a final event, then end it.
    const shape = e instanceof QinsError ? { code: e.code.toLowerCase(), message: e.message } : { code: 'internal', message: (e as Error).message };
    res.write(`data: ${JSON.stringify(errorBody(shape.message, 'server_error', shape.code))}\n\n`);
    res.end();
  }
}

/** The HTTP routes a web host adds for a core: the OpenAI-compatible API. */
export function apiRoutes(core: { completions: CompletionService }) {
  return [openAiRoute(core.completions)];
}

/** The web host route for `/v1/*`; returns false for other paths. */
export function openAiRoute(service: CompletionService) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (!url.pathname.startsWith('/v1/')) return false;
    try {
      if (url.pathname === '/v1/models' && req.method === 'GET') {
        const models = await service.listModels();
        sendJson(res, 200, { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: m.created, owned_by: 'qins' })) });
      } else if (url.pathname === '/v1/chat/completions' && req.method === 'POST') {
        await chatCompletions(service, req, res);
      } else if (url.pathname === '/v1/models' || url.pathname === '/v1/chat/completions') {
        sendJson(res, 405, errorBody(`${req.method} is not allowed on ${url.pathname}`, 'invalid_request_error', 'method_not_allowed'));
      } else {
        sendJson(res, 404, errorBody(`unknown endpoint ${url.pathname}`, 'invalid_request_error', 'unknown_url'));
      }
    } catch (e) {
      if (!res.headersSent) sendError(res, e);
      else res.destroy();
    }
    return true;
  };
}
