// `qins chat <model>`: a streaming terminal chat. Lines typed (or piped) are user messages;
// /reset starts over, /exit quits; Ctrl-C stops a reply in progress (and quits at the prompt).
// `--prompt <text>` asks one question and exits (with --json: one JSON object with the reply and stats).
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { ChatResult, ChatSession } from '../../engine/chat-session.js';
import { ContextOverflowError } from '../../engine/generate.js';
import { resolveSampling, SamplingError, type SamplingParams } from '../../engine/sampler.js';
import type { ChatMessage } from '../../engine/template.js';
import {
  addEngineOptions,
  addSamplingOptions,
  asCliError,
  openModelFromFlags,
  samplingFromFlags,
  type EngineFlags,
  type SamplingFlags,
} from '../engine-options.js';
import { CliError, info, printJson } from '../output.js';

interface ChatFlags extends EngineFlags, SamplingFlags {
  system?: string;
  prompt?: string;
  json?: boolean;
}

const HELP = 'commands: /reset (forget the conversation), /exit (quit), /help; Ctrl-C stops a reply';

export function statsLine(r: ChatResult): string {
  const stop =
    r.stop.reason === 'eos' && r.stop.stopSequence !== undefined ? `stop string ${JSON.stringify(r.stop.stopSequence)}` : r.stop.reason;
  return (
    `[${r.tokens} tokens · TTFT ${r.ttftMs.toFixed(0)} ms · ${r.tokensPerSecond.toFixed(1)} tok/s · ` +
    `prompt ${r.promptTokens} (${r.reusedTokens} cached, ${r.prefillTokensPerSecond.toFixed(0)} tok/s) · stop: ${stop} · seed ${r.seed}]`
  );
}

/** One conversation: history kept here, KV reuse and the context policy in the session. */
class Conversation {
  messages: ChatMessage[];

  constructor(
    private readonly session: ChatSession,
    private readonly system: string | undefined,
    private readonly sampling: SamplingParams,
  ) {
    this.messages = this.fresh();
  }

  private fresh(): ChatMessage[] {
    return this.system ? [{ role: 'system', content: this.system }] : [];
  }

  reset(): void {
    this.messages = this.fresh();
    this.session.reset();
  }

  async ask(text: string, signal: AbortSignal, onText?: (t: string) => void): Promise<ChatResult> {
    const messages: ChatMessage[] = [...this.messages, { role: 'user', content: text }];
    const r = await this.session.generate({
      messages,
      sampling: this.sampling,
      signal,
      onToken: onText ? (d) => onText(d.text) : undefined,
    });
    // Turns the context policy left out stay out, so the next prompt keeps sharing its prefix.
    messages.splice(r.context.droppedFrom, r.context.droppedMessages);
    messages.push({ role: 'assistant', content: r.text });
    this.messages = messages;
    return r;
  }
}

async function interactive(conv: Conversation): Promise<void> {
  const tty = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty });
  let current: AbortController | null = null;
  const onSigint = (): void => {
    if (current) current.abort();
    else rl.close();
  };
  rl.on('SIGINT', onSigint);
  process.on('SIGINT', onSigint);
  if (tty) info(HELP);
  try {
    const ask = (): void => {
      if (tty) rl.setPrompt('> ');
      if (tty) rl.prompt();
    };
    ask();
    for await (const raw of rl) {
      const line = raw.trim();
      if (!tty && line) process.stdout.write(`> ${line}\n`);
      if (!line) {
        ask();
        continue;
      }
      if (line === '/exit' || line === '/quit') break;
      if (line === '/reset') {
        conv.reset();
        info('(conversation cleared)');
        ask();
        continue;
      }
      if (line === '/help') {
        info(HELP);
        ask();
        continue;
      }
      if (line.startsWith('/')) {
        info(`unknown command ${line.split(/\s/)[0]}; ${HELP}`);
        ask();
        continue;
      }
      current = new AbortController();
      try {
        const r = await conv.ask(line, current.signal, (t) => process.stdout.write(t));
        process.stdout.write('\n');
        if (r.context.note) info(`(${r.context.note})`);
        info(statsLine(r));
      } catch (e) {
        if (e instanceof ContextOverflowError) info(`(${e.message}; /reset to start over)`);
        else throw e;
      } finally {
        current = null;
      }
      ask();
    }
  } finally {
    process.off('SIGINT', onSigint);
    rl.close();
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('chat')
    .description('chat with a model in the terminal (streaming; /reset, /exit)')
    .argument('<model>', '.qins file, ONNX folder, or the name of a model in the library')
    .option('--system <text>', 'system prompt')
    .option('--prompt <text>', 'ask one question, print the reply and exit')
    .option('--json', 'with --prompt: print one JSON object (reply, stats) instead of streaming');
  addSamplingOptions(cmd);
  addEngineOptions(cmd).action(async (modelPath: string, flags: ChatFlags) => {
    if (flags.json && flags.prompt === undefined) throw new CliError('--json needs --prompt (an interactive chat prints text)');
    let sampling: SamplingParams;
    try {
      sampling = resolveSampling(samplingFromFlags(flags));
    } catch (e) {
      throw e instanceof SamplingError ? new CliError(e.message) : e;
    }
    const model = await openModelFromFlags(modelPath, flags);
    try {
      let session: ChatSession;
      try {
        session = model.chat();
      } catch (e) {
        throw asCliError(e);
      }
      const conv = new Conversation(session, flags.system, sampling);
      if (flags.prompt === undefined) {
        await interactive(conv);
        return;
      }
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once('SIGINT', stop);
      try {
        const r = await conv.ask(flags.prompt, ac.signal, flags.json ? undefined : (t) => process.stdout.write(t));
        if (flags.json) {
          printJson({ model: model.path, engine: model.engine, codec: model.codec, ...r });
        } else {
          process.stdout.write('\n');
          if (r.context.note) info(`(${r.context.note})`);
          info(statsLine(r));
        }
      } catch (e) {
        throw e instanceof ContextOverflowError ? new CliError(e.message) : e;
      } finally {
        process.off('SIGINT', stop);
      }
    } finally {
      await model.dispose();
    }
  });
}
