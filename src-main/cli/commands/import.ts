// `qins import FILE`: a QINS Chat JSON export into the store in $QINS_HOME (or the app-data folder).
// Conversations already present (same id) are skipped; a bad file writes nothing.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { dbPath } from '../../core/paths.js';
import { ChatStore, type ExportDocument, readExportFile } from '../../core/store/index.js';
import { info, printJson } from '../output.js';
import { toCliError } from './export.js';

export function register(program: Command): void {
  program
    .command('import')
    .description('import conversations from a QINS Chat JSON export')
    .argument('<file>', 'the .json file written by `qins export --format json`')
    .option('--json', 'print a JSON summary on stdout')
    .action((fileArg: string, options: { json?: boolean }) => {
      const source = resolve(fileArg);
      const file = dbPath();
      let doc: ExportDocument;
      let store: ChatStore;
      try {
        // Check the whole file before touching (or creating) the store.
        doc = readExportFile(source);
        store = ChatStore.open(file);
      } catch (e) {
        throw toCliError(e);
      }
      try {
        const summary = { file: source, ...store.importConversations(doc.conversations) };
        if (options.json) printJson({ ...summary, store: file });
        else {
          info(`imported ${summary.imported.length} conversation(s), ${summary.messages} message(s) into ${file}`);
          if (summary.duplicates.length > 0) {
            info(`skipped ${summary.duplicates.length} already present: ${summary.duplicates.join(', ')}`);
          }
        }
      } catch (e) {
        throw toCliError(e);
      } finally {
        store.close();
      }
    });
}
