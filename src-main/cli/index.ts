// `qins` command-line entry point. Each command lives in ./commands/<name>.ts and exports
// `register(program)`; add new commands to the list below.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { appRoot } from '../core/paths.js';
import { commands } from './commands/index.js';
import { CliError } from './output.js';

/** The app's version (package.json), printed by `qins --version`. */
export function appVersion(): string {
  return (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('qins')
    .description('QINS Chat: convert HuggingFace checkpoints to .qins files and run them offline.')
    .version(appVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    const message = e instanceof CliError ? e.message : e instanceof Error ? e.message : String(e);
    process.stderr.write(`qins: ${message.split('\n')[0]}\n`);
    return e instanceof CliError ? e.exitCode : 1;
  }
}
