// Engine host child process entry (filled in by the engine host).
process.on('message', () => undefined);
