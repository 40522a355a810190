// Launches the engine host as an Electron utility process (a Node child without Electron APIs).
import { utilityProcess } from 'electron';
import type { HostLauncher } from '../core/engine-supervisor.js';
import { lineSplitter, log } from '../core/log.js';

export function utilityLauncher(entry: string): HostLauncher {
  return () => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'QINS engine host', stdio: ['ignore', 'inherit', 'pipe'] });
    // The host's stderr still reaches ours, and goes to the log line by line.
    const toLog = lineSplitter((line) => log.warn('engine-host', line));
    child.stderr?.on('data', (d: Buffer) => {
      process.stderr.write(d);
      toLog(d);
    });
    return {
      get pid() {
        return child.pid;
      },
      send: (m) => child.postMessage(m),
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.on('exit', (code) => l(code, null)),
      kill: () => {
        child.kill();
      },
    };
  };
}
