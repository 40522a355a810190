// `qins pull <repo>[@rev] [--convert <codec>] [-o <file.qins>] [--json]`: a checkpoint from the
// Hugging Face Hub (HF_ENDPOINT, HF_TOKEN) into the Hugging Face cache (HF_HOME / HF_HUB_CACHE),
// resumable (run it again after an interruption) and verified, then converted when asked.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CODECS, type Codec } from '../../../src-shared/codecs.js';
import { QinsError } from '../../../src-shared/contract.js';
import { type HubProgress, parseRepoRef } from '../../../src-shared/hub.js';
import { hubCacheDir, hubEndpoint, resolveToken } from '../../core/hub/env.js';
import { preflight, pullSnapshot, refusal, snapshotName } from '../../core/hub/pull.js';
import { modelsDir } from '../../core/paths.js';
import { convertCheckpoint, inspectQins } from '../../engine/convert/index.js';
import { CliError, info, printJson } from '../output.js';
import { asCliError, progressPrinter, withInterrupt } from './convert.js';

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

function downloadPrinter(): { onProgress: (p: HubProgress) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return {
    onProgress: (p) => {
      const now = Date.now();
      if (!tty && now - last < 2000 && p.file !== null) return;
      last = now;
      const pct = p.bytesTotal ? ((100 * p.bytesDone) / p.bytesTotal).toFixed(1) : '100.0';
      const eta = p.etaMs !== null && p.file ? `, ${Math.ceil(p.etaMs / 1000)} s left` : '';
      const line = `download: ${pct}% ${mb(p.bytesDone)} of ${mb(p.bytesTotal)}, ${mb(p.bytesPerSecond)}/s (${p.filesDone}/${p.filesTotal} files${p.file ? `, ${p.file}` : ''}${eta})`;
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else info(line);
    },
    end: () => {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

const toCli = (e: unknown): unknown => {
  if (e instanceof QinsError) return new CliError(e.code === 'CANCELLED' ? 'interrupted; run the same command again to resume (the partial files stay in the cache)' : e.message, e.code === 'CANCELLED' ? 130 : 2);
  return asCliError(e);
};

export function register(program: Command): void {
  program
    .command('pull')
    .description('download a checkpoint from the Hugging Face Hub into the Hugging Face cache (and convert it)')
    .argument('<repo>', 'repo id (org/name, optionally @revision) or a huggingface.co model URL')
    .option('--convert <codec>', `convert it after the download: ${CODECS.join(', ')}`)
    .option('-o, --output <file>', 'the converted .qins file (implies --convert qins8; default ./<name>-<codec>.qins)')
    .option('--json', 'print the result as one JSON object')
    .action(async (refText: string, o: { convert?: string; output?: string; json?: boolean }) => {
      let ref;
      try {
        ref = parseRepoRef(refText);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      const codec = (o.convert ?? (o.output ? 'qins8' : null)) as Codec | null;
      if (codec !== null && !(CODECS as readonly string[]).includes(codec)) throw new CliError(`unknown codec "${codec}" (codecs: ${CODECS.join(', ')})`);
      const token = resolveToken(null);
      const client = { endpoint: hubEndpoint(), token: token?.token ?? null };
      const cacheDir = hubCacheDir();
      const printer = downloadPrinter();
      try {
        const { preflight: p, remote } = await preflight(ref, { client, cacheDir, modelsDir: o.output ? resolve(o.output, '..') : modelsDir(), codec: codec ?? 'bf16', hasToken: token !== null });
        info(
          `${p.repo}@${p.revision} (${p.commit.slice(0, 10)}): ${p.architecture ?? 'no model_type'}${p.supported ? '' : ' (not supported)'}, license ${p.license ?? 'unknown'}` +
            `${p.gated !== 'no' ? ', gated' : ''}; ${p.files.length} files, ${mb(p.totalBytes)} (${mb(p.downloadBytes)} to download) into ${cacheDir}`,
        );
        if (codec !== null) {
          const refused = refusal(p);
          if (refused) throw refused;
        } else if (p.cacheFreeBytes !== null && p.cacheFreeBytes < p.downloadBytes)
          throw new QinsError('NO_SPACE', `${p.repo} needs ${mb(p.downloadBytes)} in ${cacheDir}; ${mb(p.cacheFreeBytes)} is free`);
        const { dir } = await withInterrupt((signal) => pullSnapshot(remote, { client, cacheDir, signal, onProgress: printer.onProgress }));
        printer.end();
        info(`checkpoint: ${dir}`);
        const result: Record<string, unknown> = { repo: p.repo, revision: p.revision, commit: p.commit, snapshot: dir, files: p.files.length, bytes: p.totalBytes, downloaded_bytes: p.downloadBytes, output: null };
        if (codec !== null) {
          const output = resolve(o.output ?? `${snapshotName(p.repo)}-${codec}.qins`);
          const conv = progressPrinter('convert');
          try {
            const r = await withInterrupt((signal) => convertCheckpoint({ source: dir, destination: output, codec, signal, onProgress: conv.onProgress }));
            conv.end();
            const ins = await inspectQins(r.path);
            result.output = { path: r.path, architecture: ins.architecture, codec: ins.codec, file_bytes: ins.file_bytes, size_ratio: ins.size_ratio };
            info(`wrote ${r.path}: ${ins.architecture}, ${codec}, ${mb(ins.file_bytes)} (${ins.size_ratio}× the source)`);
          } catch (e) {
            conv.end();
            throw e;
          }
        }
        if (o.json) printJson(result);
      } catch (e) {
        printer.end();
        throw toCli(e);
      }
    });
}
