import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the web UI and the OpenAI-compatible API on 127.0.0.1')
    .option('--port <port>', 'port to listen on', '7860')
    .option('--json', 'print the URL and token as JSON')
    .action(async () => {
      throw new Error('serve: not wired yet');
    });
}
