// Shared CLI conventions (README "Command line"): with --json a command prints exactly one JSON
// object on stdout; human progress goes to stderr; bad input exits non-zero with a one-line reason.

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Progress and status lines: stderr, so stdout stays machine-readable. */
export function info(line: string): void {
  process.stderr.write(`${line}\n`);
}
