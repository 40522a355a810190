// `qins export [--conversation ID] --format md|json|html --out FILE`: conversations from the store
// in $QINS_HOME (or the app-data folder) to one file, or to stdout with `--out -`.
import { extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { dbPath } from '../../core/paths.js';
import { ChatStore, EXPORT_FORMATS, exportToFile, type ExportFormat, renderExport, StoreError } from '../../core/store/index.js';
import { CliError, info, printJson } from '../output.js';

interface ExportOptions {
  conversation?: string[];
  format?: string;
  out: string;
  json?: boolean;
}

/** `--out -`: the export goes to stdout. */
const STDOUT = '-';

function formatFor(options: ExportOptions): ExportFormat {
  if (options.out === STDOUT && options.format === undefined) throw new CliError('--out - (stdout) needs --format md|json|html');
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
    .requiredOption('--out <file>', 'file to write (replaced atomically), or - for stdout')
    .option('--json', 'print a JSON summary on stdout')
    .action((options: ExportOptions) => {
      if (options.out === STDOUT && options.json) throw new CliError('--json prints a summary on stdout, where --out - writes the export: use one of them');
      const format = formatFor(options);
      const file = dbPath();
      let store: ChatStore;
      try {
        store = ChatStore.open(file, { mustExist: true });
      } catch (e) {
        throw toCliError(e);
      }
      try {
        if (options.out === STDOUT) {
          const doc = store.exportDocument(options.conversation);
          process.stdout.write(renderExport(doc, format));
          info(`exported ${doc.conversations.length} conversation(s) to stdout`);
          return;
        }
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
