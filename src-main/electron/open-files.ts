// Model files handed to the app by the system: a double-clicked `.qins` / `.qinz` (macOS
// `open-file`, or the command line of the first or a second instance on Windows and Linux).
// Each is added to the library like a file chosen in the app: a .qins file where it is, a .qinz
// unpacked into the models folder.
import { extname, isAbsolute, resolve } from 'node:path';

export const MODEL_FILE_EXTENSIONS = ['qins', 'qinz'] as const;

export const isModelFile = (path: string): boolean => (MODEL_FILE_EXTENSIONS as readonly string[]).includes(extname(path).slice(1).toLowerCase());

/** The model files on a command line (flags and everything else skipped), as absolute paths. */
export function modelFilesIn(argv: readonly string[], cwd: string = process.cwd()): string[] {
  return argv.filter((a) => !a.startsWith('-') && isModelFile(a)).map((a) => (isAbsolute(a) ? a : resolve(cwd, a)));
}

/**
 * Collects files that arrive before the app can add them (macOS sends `open-file` before `ready`)
 * and hands every file to `open` once `ready()` is called.
 */
export class OpenFileQueue {
  private waiting: string[] = [];
  private opener: ((path: string) => void) | undefined;

  push(path: string): void {
    if (this.opener) this.opener(path);
    else this.waiting.push(path);
  }

  ready(open: (path: string) => void): void {
    this.opener = open;
    for (const p of this.waiting.splice(0)) open(p);
  }
}
