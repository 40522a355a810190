// Export to and import from files: md / json / html out, our versioned JSON in.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { StoreError } from './db.js';
import { toHtml, toMarkdown } from './export-render.js';
import type { ChatStore } from './repository.js';
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  ExportDocument,
  type ExportConversation,
  type ExportFormat,
  type ImportResult,
} from '../../../src-shared/records.js';

/** Larger files are refused rather than read into memory. */
export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

export function renderExport(doc: ExportDocument, format: ExportFormat): string {
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  if (format === 'md') return toMarkdown(doc);
  return toHtml(doc);
}

/** Writes `text` to `file` atomically: a temporary file in the same folder, fsync, rename. */
export function writeFileAtomic(file: string, text: string): number {
  const dir = dirname(file);
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new StoreError('IO', `cannot write ${file}: folder ${dir} does not exist`);
  }
  const tmp = `${dir}/.${basename(file)}.tmp-${process.pid}-${Date.now()}`;
  const bytes = Buffer.from(text, 'utf8');
  try {
    const fd = openSync(tmp, 'wx');
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new StoreError('IO', `cannot write ${file}: ${(e as Error).message}`);
  }
  return bytes.length;
}

export interface ExportSummary {
  file: string;
  format: ExportFormat;
  conversations: number;
  messages: number;
  bytes: number;
}

export function exportToFile(
  store: ChatStore,
  options: { file: string; format: ExportFormat; conversationIds?: readonly string[] },
): ExportSummary {
  const doc = store.exportDocument(options.conversationIds);
  const bytes = writeFileAtomic(options.file, renderExport(doc, options.format));
  return {
    file: options.file,
    format: options.format,
    conversations: doc.conversations.length,
    messages: doc.conversations.reduce((n, c) => n + c.messages.length, 0),
    bytes,
  };
}

const where = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');

/**
 * Parses and checks an export file's text: JSON syntax, the v1 schema, unique ids, every parent
 * present in the same conversation, no cycles, the selected leaf present. Throws a StoreError
 * with a one-line reason. Messages come back with parents before children.
 */
export function parseExportDocument(text: string, source = 'the file'): ExportDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new StoreError('BAD_INPUT', `${source} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || (raw as { format?: unknown }).format !== EXPORT_FORMAT) {
    throw new StoreError('BAD_INPUT', `${source} is not a QINS Chat export (expected "format": "${EXPORT_FORMAT}")`);
  }
  const version = (raw as { version?: unknown }).version;
  if (version !== EXPORT_VERSION) {
    throw new StoreError(
      'BAD_INPUT',
      `${source} is a version ${JSON.stringify(version)} export; this app reads version ${EXPORT_VERSION}`,
    );
  }
  const parsed = ExportDocument.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue ? where(issue.path) : '';
    throw new StoreError('BAD_INPUT', `invalid export in ${source}: ${at ? `${at}: ` : ''}${issue?.message ?? 'bad shape'}`);
  }
  const doc = parsed.data;
  const conversationIds = new Set<string>();
  const messageIds = new Set<string>();
  doc.conversations = doc.conversations.map((c, ci) => {
    if (conversationIds.has(c.id)) throw new StoreError('BAD_INPUT', `invalid export in ${source}: conversation id ${c.id} appears twice`);
    conversationIds.add(c.id);
    for (const m of c.messages) {
      if (messageIds.has(m.id)) throw new StoreError('BAD_INPUT', `invalid export in ${source}: message id ${m.id} appears twice`);
      messageIds.add(m.id);
    }
    return { ...c, messages: parentsFirst(c, `conversations[${ci}]`, source) };
  });
  return doc;
}

/** Orders messages so every parent precedes its children (stable otherwise); rejects broken trees. */
function parentsFirst(c: ExportConversation, at: string, source: string): ExportConversation['messages'] {
  const ids = new Set(c.messages.map((m) => m.id));
  for (const m of c.messages) {
    if (m.parentId !== null && !ids.has(m.parentId)) {
      throw new StoreError('BAD_INPUT', `invalid export in ${source}: ${at}: message ${m.id} has parent ${m.parentId}, which is not in the conversation`);
    }
  }
  if (c.currentLeafId !== null && !ids.has(c.currentLeafId)) {
    throw new StoreError('BAD_INPUT', `invalid export in ${source}: ${at}: selected message ${c.currentLeafId} is not in the conversation`);
  }
  const byId = new Map(c.messages.map((m) => [m.id, m]));
  const placed = new Set<string>();
  const out: ExportConversation['messages'] = [];
  for (const m of c.messages) {
    const chain: ExportConversation['messages'] = [];
    const onChain = new Set<string>();
    for (let cur = byId.get(m.id); cur && !placed.has(cur.id); cur = cur.parentId ? byId.get(cur.parentId) : undefined) {
      if (onChain.has(cur.id)) {
        throw new StoreError('BAD_INPUT', `invalid export in ${source}: ${at}: message ${cur.id} is its own ancestor`);
      }
      onChain.add(cur.id);
      chain.push(cur);
    }
    for (const x of chain.reverse()) {
      out.push(x);
      placed.add(x.id);
    }
  }
  return out;
}

export interface ImportSummary extends ImportResult {
  file: string;
}

/** Reads and checks a QINS Chat JSON export file (see parseExportDocument). */
export function readExportFile(file: string): ExportDocument {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new StoreError('NOT_FOUND', `no file ${file}`);
  }
  if (size > MAX_IMPORT_BYTES) throw new StoreError('BAD_INPUT', `${file} is larger than ${MAX_IMPORT_BYTES} bytes`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new StoreError('IO', `cannot read ${file}: ${(e as Error).message}`);
  }
  return parseExportDocument(text, file);
}

/** Imports a QINS Chat JSON export. Either everything new in it is written, or nothing is. */
export function importFromFile(store: ChatStore, file: string): ImportSummary {
  const doc = readExportFile(file);
  return { file, ...store.importConversations(doc.conversations) };
}
