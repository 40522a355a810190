import type { Command } from 'commander';
import { register as bench } from './bench.js';
import { register as benchPeer } from './bench-peer.js';
import { register as benchSuite } from './bench-suite.js';
import { register as chat } from './chat.js';
import { register as evalCommand } from './eval.js';
import { register as convert } from './convert.js';
import { register as exportCommand } from './export.js';
import { register as exportOnnx } from './export-onnx.js';
import { register as exportGguf } from './export-gguf.js';
import { register as importCommand } from './import.js';
import { register as inspect } from './inspect.js';
import { register as pack } from './pack.js';
import { register as pull } from './pull.js';
import { register as serve } from './serve.js';
import { register as unpack } from './unpack.js';
import { register as verify } from './verify.js';

/** Every `qins` subcommand, in the order `qins --help` lists them. */
export const commands: Array<(program: Command) => void> = [serve, exportCommand, importCommand, pull, convert, inspect, verify, pack, unpack, chat, evalCommand, bench, benchPeer, benchSuite, exportOnnx, exportGguf];
