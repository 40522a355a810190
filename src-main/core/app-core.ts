// The core of the app, shared by the Electron main process and the headless web host: services,
// the request handlers of the contract, and the set of connected UI clients. No Electron here.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { AppInfo, EventChannel, EventOf } from '../../src-preload/contract.js';
import { EngineSupervisor, type HostLauncher } from './engine-supervisor.js';
import { appRoot, assetsDir, dataDir, dbPath, modelsDir } from './paths.js';
import { type ClientContext, type Handlers, type Router, createRouter } from './router.js';
import { Telemetry } from './telemetry.js';

export interface CoreOptions {
  mode: AppInfo['mode'];
  launcher: HostLauncher;
  /** Electron / Chrome versions when running inside Electron. */
  electron?: { electron: string; chrome: string };
}

/** A connected UI client; `close()` runs the cleanups its subscriptions registered. */
export interface ConnectedClient extends ClientContext {
  close(): void;
}

function packageVersion(): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { productName?: string; version: string };
  return { name: pkg.productName ?? 'QINS Chat', version: pkg.version };
}

export class AppCore {
  readonly engine: EngineSupervisor;
  readonly telemetry: Telemetry;
  readonly router: Router;
  private readonly clients = new Map<string, ConnectedClient>();

  constructor(private readonly options: CoreOptions) {
    this.engine = new EngineSupervisor(options.launcher);
    this.telemetry = new Telemetry({
      engineMemory: async () => {
        if (this.engine.status().state !== 'ready') return null;
        try {
          return await this.engine.call('memory', {}, { timeoutMs: 2000 });
        } catch {
          return null;
        }
      },
    });
    this.engine.on('status', (s) => this.broadcast('engine.status', s));
    this.router = createRouter(this.handlers());
  }

  async start(): Promise<void> {
    await this.engine.start();
  }

  async stop(): Promise<void> {
    this.telemetry.stopAll();
    for (const c of [...this.clients.values()]) c.close();
    await this.engine.stop();
  }

  /** Registers a UI client; `emit` delivers an event to it. */
  connect(emit: (event: EventChannel, payload: unknown) => void): ConnectedClient {
    const clientId = randomUUID();
    const cleanups: Array<() => void> = [];
    const client: ConnectedClient = {
      clientId,
      emit: (event, payload) => emit(event, payload),
      onClose: (fn) => cleanups.push(fn),
      close: () => {
        if (!this.clients.delete(clientId)) return;
        for (const fn of cleanups.splice(0)) {
          try {
            fn();
          } catch {
            // a failing cleanup must not prevent the others
          }
        }
      },
    };
    this.clients.set(clientId, client);
    return client;
  }

  broadcast<E extends EventChannel>(event: E, payload: EventOf<E>): void {
    for (const c of this.clients.values()) c.emit(event, payload);
  }

  appInfo(): AppInfo {
    const { name, version } = packageVersion();
    const cpu = cpus();
    return {
      name,
      version,
      mode: this.options.mode,
      platform: process.platform,
      arch: process.arch,
      versions: {
        node: process.versions.node,
        v8: process.versions.v8,
        electron: this.options.electron?.electron ?? null,
        chrome: this.options.electron?.chrome ?? null,
      },
      cpu: { model: cpu[0]?.model.trim() ?? 'unknown', cores: Math.max(1, cpu.length) },
      totalMemory: totalmem(),
      paths: { data: dataDir(), database: dbPath(), models: modelsDir(), assets: assetsDir() },
    };
  }

  private handlers(): Handlers {
    return {
      'app.info': () => this.appInfo(),
      'engine.status': () => this.engine.status(),
      'engine.ping': async () => {
        const t0 = performance.now();
        const pong = await this.engine.call('ping', {}, { timeoutMs: 5000 });
        return { pid: pong.pid, uptimeMs: pong.uptimeMs, roundTripMs: performance.now() - t0, restarts: this.engine.status().restarts };
      },
      'telemetry.subscribe': ({ intervalMs }, client) => {
        const id = this.telemetry.subscribe(intervalMs ?? 1000, (s) => client.emit('telemetry.sample', s));
        client.onClose(() => this.telemetry.unsubscribe(id));
        return { subscriptionId: id };
      },
      'telemetry.unsubscribe': ({ subscriptionId }) => ({ stopped: this.telemetry.unsubscribe(subscriptionId) }),
    };
  }
}
