// `qins export [--conversation ID] --format md|json|html --out FILE`: conversations from the store
// in $QINS_HOME (or the app-data folder) to one file.
import { extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { dbPath } from '../../core/paths.js';
import { ChatStore, EXPORT_FORMATS, exportToFile, type ExportFormat, StoreError } from '../../core/store/index.js';
import { CliError, info, printJson } from '../output.js';

interface ExportOptions {
  conversation?: string[];
  format?: string;
  out: string;
  json?: boolean;
}

function formatFor(options: ExportOptions): ExportFormat {
  const ext = extname(options.out).slice(1).toLowerCase();
  const f = options.format ?? ({ markdown: 'md', htm: 'html' } as Record<string, string>)[ext] ?? ext;
  if ((EXPORT_FORMATS as readonly string[]).includes(f)) return f as ExportFormat;
  throw new CliError(
    options.format
      ? `unknown format "${options.format}" (use md, json or html)`
      : `cannot tell the format from "${options.out}"; pass --format md|json|html`,
  );
}

export function register(program: Command): void {
  program
    .command('export')
    .description('export conversations (all, or --conversation ID) to Markdown, JSON or HTML')
    .option('--conversation <id>', 'only this conversation (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--format <format>', 'md, json or html (default: from the --out extension)')
    .requiredOption('--out <file>', 'file to write (replaced atomically)')
    .option('--json', 'print a JSON summary on stdout')
    .action((options: ExportOptions) => {
      const format = formatFor(options);
      const file = dbPath();
      let store: ChatStore;
      try {
        store = ChatStore.open(file, { mustExist: true });
      } catch (e) {
        throw toCliError(e);
      }
      try {
        const summary = exportToFile(store, { file: resolve(options.out), format, conversationIds: options.conversation });
        if (options.json) printJson({ ...summary, store: file });
        else info(`exported ${summary.conversations} conversation(s), ${summary.messages} message(s) to ${summary.file}`);
      } catch (e) {
        throw toCliError(e);
      } finally {
        store.close();
      }
    });
}

export function toCliError(e: unknown): unknown {
  if (e instanceof StoreError) return new CliError(e.message, e.code === 'IO' ? 1 : 2);
  return e;
}
