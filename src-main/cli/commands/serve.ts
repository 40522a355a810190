import type { Command } from 'commander';
import { loadApiToken, regenerateApiToken } from '../../core/api-token.js';
import { startHeadlessCore } from '../../core/headless.js';
import { closeLog, headlessLogDir, initLog, log, logProcessErrors } from '../../core/log.js';
import { rendererDir } from '../../core/paths.js';
import { apiRoutes } from '../../web/openai.js';
import { DEFAULT_PORT, startWebHost } from '../../web/server.js';
import { CliError, info, printJson } from '../output.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`invalid port "${value}" (expected 0-65535)`);
  return port;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the web UI and the OpenAI-compatible API on 127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', String(DEFAULT_PORT))
    .option('--new-token', 'replace the stored API token with a new one first (clients need the new one)')
    .option('--json', 'print {url, port, token, pid} as JSON once listening')
    .action(async (opts: { port: string; json?: boolean; newToken?: boolean }) => {
      const port = parsePort(opts.port);
      // The token is kept in the data folder (shared with the desktop app) until replaced.
      let token: string;
      try {
        token = opts.newToken ? regenerateApiToken() : loadApiToken();
      } catch (e) {
        throw new CliError(`cannot read or write the API token: ${(e as Error).message}`);
      }
      if (opts.newToken) info('A new API token replaces the old one; clients need the new one.');
      initLog(headlessLogDir());
      logProcessErrors('main');
      log.info('main', `qins serve starting${opts.newToken ? ' with a new API token' : ''}`);
      const core = await startHeadlessCore();
      let host;
      try {
        host = await startWebHost({ core, rendererDir: rendererDir(), port, token, routes: apiRoutes(core) });
        core.attachWebHost(host);
      } catch (e) {
        await core.stop();
        log.error('main', `cannot listen on port ${port}`, e);
        await closeLog();
        const code = (e as NodeJS.ErrnoException).code;
        throw new CliError(code === 'EADDRINUSE' ? `port ${port} is already in use (try --port)` : `cannot listen: ${(e as Error).message}`);
      }
      log.info('api', `serving on 127.0.0.1:${host.port}`);
      if (opts.json) printJson({ url: host.url, port: host.port, token: host.token, pid: process.pid });
      else process.stdout.write(`QINS Chat is serving at ${host.url}\n`);
      if (core.firstRunWaiting()) info('The built-in model is converted when the first browser window or API request arrives (a few seconds).');
      info('Press Ctrl+C to stop.');
      await new Promise<void>((done) => {
        const stop = () => {
          log.info('main', 'qins serve stopping');
          void host
            .close()
            .then(() => core.stop())
            .then(closeLog)
            .then(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
