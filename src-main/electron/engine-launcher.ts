// Launches the engine host as an Electron utility process (a Node child without Electron APIs).
import { utilityProcess } from 'electron';
import type { HostLauncher } from '../core/engine-supervisor.js';

export function utilityLauncher(entry: string): HostLauncher {
  return () => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'QINS engine host', stdio: 'inherit' });
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
