// The conversation store (issue 5). Main-process code uses ChatStore; the contract and the
// renderer import the domain types from src-shared/records.ts (it has no Node imports).
import { dbPath } from '../paths.js';
import { ChatStore, type ChatStoreOptions } from './repository.js';

export { ChatStore } from './repository.js';
export type { AssistantMeta, ChatStoreOptions, DeleteResult, FinishInput, SearchOptions } from './repository.js';
export { StoreError, LATEST_SCHEMA_VERSION } from './db.js';
export { StreamingWriter, DEFAULT_FLUSH_INTERVAL_MS, MAX_FLUSH_INTERVAL_MS } from './streaming.js';
export {
  exportToFile,
  importFromFile,
  parseExportDocument,
  readExportFile,
  renderExport,
  writeFileAtomic,
} from './transfer.js';
export type { ExportSummary, ImportSummary } from './transfer.js';
export * from '../../../src-shared/records.js';

/** Opens the store at the data directory's qins.db ($QINS_HOME or the app-data folder). */
export function openChatStore(options: ChatStoreOptions = {}, file: string = dbPath()): ChatStore {
  return ChatStore.open(file, options);
}
