import type { Command } from 'commander';
import { register as exportCommand } from './export.js';
import { register as importCommand } from './import.js';
import { register as serve } from './serve.js';

/** Every `qins` subcommand, in the order `qins --help` lists them. */
export const commands: Array<(program: Command) => void> = [serve, exportCommand, importCommand];
