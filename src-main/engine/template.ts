// Chat templates: the Jinja `chat_template` of tokenizer_config.json, rendered with
// @huggingface/jinja the way transformers' apply_chat_template renders it.
import { Template } from '@huggingface/jinja';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

function tokenText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return '';
}

export interface RenderOptions {
  /** Append the assistant turn opener (default true: the model writes the next reply). */
  addGenerationPrompt?: boolean;
}

export class ChatTemplate {
  private readonly template: Template;
  private readonly specials: Record<string, string>;

  constructor(
    readonly source: string,
    specialTokens: { bos_token?: string; eos_token?: string; unk_token?: string; pad_token?: string } = {},
  ) {
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new TemplateError(`the chat template does not parse (${(e as Error).message})`);
    }
    this.specials = {
      bos_token: specialTokens.bos_token ?? '',
      eos_token: specialTokens.eos_token ?? '',
      unk_token: specialTokens.unk_token ?? '',
      pad_token: specialTokens.pad_token ?? '',
    };
  }

  /**
   * From the verbatim tokenizer_config.json (`chat_template` as a string, or a list of named
   * templates, where "default" is used). Throws TemplateError when there is none.
   */
  static fromFiles(files: Readonly<Record<string, string>>): ChatTemplate {
    const text = files['tokenizer_config.json'];
    if (text === undefined) throw new TemplateError('the model has no tokenizer_config.json (no chat template)');
    let cfg: Record<string, unknown>;
    try {
      cfg = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new TemplateError(`tokenizer_config.json is not valid JSON (${(e as Error).message})`);
    }
    let src: unknown = cfg.chat_template;
    if (Array.isArray(src)) {
      const named = src as Array<{ name?: unknown; template?: unknown }>;
      src = (named.find((t) => t.name === 'default') ?? named[0])?.template;
    }
    if (typeof src !== 'string' || src.length === 0) throw new TemplateError('tokenizer_config.json has no chat_template');
    return new ChatTemplate(src, {
      bos_token: tokenText(cfg.bos_token),
      eos_token: tokenText(cfg.eos_token),
      unk_token: tokenText(cfg.unk_token),
      pad_token: tokenText(cfg.pad_token),
    });
  }

  render(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
    try {
      return this.template.render({
        ...this.specials,
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        add_generation_prompt: options.addGenerationPrompt ?? true,
      });
    } catch (e) {
      throw new TemplateError(`the chat template failed to render (${(e as Error).message})`);
    }
  }
}
