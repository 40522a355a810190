// The <model> argument of `qins chat`, `qins eval` and `qins bench`: a path, or the name or id of a
// model in the app's library (the store in $QINS_HOME or the app-data folder), e.g.
// `qins chat tiny-phi3-chat`.
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { dbPath } from '../core/paths.js';
import { ChatStore, type ModelRecord } from '../core/store/index.js';
import { CliError } from './output.js';

/** Looks like a path rather than a library name: has a folder separator or a model file extension. */
function looksLikePath(arg: string): boolean {
  return /[\\/]/.test(arg) || /\.(qins|qinz|gguf|onnx)$/i.test(arg);
}

const stem = (path: string): string => basename(path, extname(path));

/** Library models the argument names: by id, else by name, else by file name (case-insensitive). */
export function matchModels(models: readonly ModelRecord[], arg: string): ModelRecord[] {
  const byId = models.filter((m) => m.id === arg);
  if (byId.length > 0) return byId;
  const lower = arg.toLowerCase();
  const byName = models.filter((m) => m.name.toLowerCase() === lower);
  if (byName.length > 0) return byName;
  return models.filter((m) => stem(m.path).toLowerCase() === lower);
}

/**
 * The path to open for `arg`: `arg` itself when it exists or looks like a path (the engine then
 * says what is wrong with it), else the file of the library model it names. Throws a one-line
 * CliError when it names no model, several, or one whose file is gone.
 */
export function resolveModelArg(arg: string, env: NodeJS.ProcessEnv = process.env): string {
  if (existsSync(arg) || looksLikePath(arg)) return arg;
  const file = dbPath(env);
  if (!existsSync(file)) throw new CliError(`no file "${arg}", and no model library at ${file} to look the name up in`);
  let models: ModelRecord[];
  let store: ChatStore | undefined;
  try {
    store = ChatStore.open(file, { mustExist: true });
    models = store.listModels();
  } catch (e) {
    throw new CliError(`no file "${arg}", and the model library cannot be read: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    store?.close();
  }
  const found = matchModels(models, arg);
  if (found.length === 0) {
    const names = models.map((m) => m.name);
    throw new CliError(`no file or library model "${arg}"${names.length ? ` (library: ${names.join(', ')})` : ' (the library is empty)'}`);
  }
  if (found.length > 1) throw new CliError(`"${arg}" names ${found.length} library models; give its id or path (${found.map((m) => `${m.id}: ${m.path}`).join('; ')})`);
  const model = found[0]!;
  if (!existsSync(model.path)) throw new CliError(`library model "${model.name}" is missing on disk (${model.path})`);
  return model.path;
}
