// Runs the engine host child process: starts it, routes requests to it, and restarts it when it
// dies. Calls in flight when it dies fail with ENGINE_CRASHED; the UI hears about every state change
// through 'status' events. The way the child is launched is injected (child_process.fork under Node,
// utilityProcess.fork under Electron), so this module stays free of Electron.
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { type EngineStatus, QinsError } from '../../src-shared/contract.js';
import { type FromHost, type HostEventArgs, type HostMethod, type HostMethods, type ToHost, parseFromHost } from '../../src-shared/engine-protocol.js';
import { lineSplitter, log } from './log.js';

/** A running child process, whatever launched it. */
export interface HostProcess {
  readonly pid: number | undefined;
  send(message: ToHost): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export type HostLauncher = () => HostProcess;

/** Launches the engine host with child_process.fork (the CLI, `qins serve`, tests). */
export function forkLauncher(entry: string, options: { execArgv?: string[]; env?: NodeJS.ProcessEnv } = {}): HostLauncher {
  return () => {
    const child = fork(entry, [], {
      execArgv: options.execArgv ?? [],
      env: options.env ?? process.env,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
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
      send: (m) => {
        if (child.connected) child.send(m);
      },
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.on('exit', (code, signal) => l(code, signal)),
      kill: () => child.kill('SIGKILL'),
    };
  };
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: QinsError): void;
  timer: NodeJS.Timeout | undefined;
}

export interface SupervisorOptions {
  /** First restart delay; doubles on each consecutive crash up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A host that stayed up this long resets the backoff. */
  stableMs?: number;
  /** How long to wait for the child's 'ready' message. */
  startTimeoutMs?: number;
  /** Where the host's last lines can be read (the log file), added to the crash message. */
  crashHint?: () => string | null;
}

export interface SupervisorEvents {
  status: [EngineStatus];
  /** An unsolicited host event (generation tokens, conversion progress, …): its name, then its data. */
  event: HostEventArgs;
}

export class EngineSupervisor extends EventEmitter<SupervisorEvents> {
  private child: HostProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private state: EngineStatus = { state: 'stopped', pid: null, restarts: 0, lastError: null };
  private ready: Promise<void> | undefined;
  private stopping = false;
  private backoff: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private readonly opts: Required<SupervisorOptions>;

  constructor(
    private readonly launch: HostLauncher,
    options: SupervisorOptions = {},
  ) {
    super();
    this.opts = { backoffMs: 200, maxBackoffMs: 5000, stableMs: 30_000, startTimeoutMs: 20_000, crashHint: () => null, ...options };
    this.backoff = this.opts.backoffMs;
  }

  status(): EngineStatus {
    return { ...this.state };
  }

  /** Starts the host (idempotent) and resolves when it is ready. */
  start(): Promise<void> {
    this.stopping = false;
    if (!this.ready) {
      // A caller that needs the host while a restart is pending starts it now, and the timer is
      // dropped: two hosts must never be spawned for one crash (the later one would replace the
      // host the caller just loaded a model into).
      if (this.restartTimer) {
        clearTimeout(this.restartTimer);
        this.restartTimer = undefined;
        this.state.restarts += 1;
      }
      this.ready = this.spawn();
    }
    return this.ready;
  }

  private setState(patch: Partial<EngineStatus>): void {
    this.state = { ...this.state, ...patch };
    this.emit('status', this.status());
  }

  private spawn(): Promise<void> {
    this.setState({ state: 'starting', pid: null });
    const child = this.launch();
    this.child = child;
    this.startedAt = Date.now();
    return new Promise<void>((resolve, reject) => {
      let isReady = false;
      const timer = setTimeout(() => {
        if (isReady) return;
        reject(new QinsError('ENGINE_UNAVAILABLE', 'the engine host did not start in time'));
        child.kill();
      }, this.opts.startTimeoutMs);
      child.onMessage((raw) => {
        const m = parseFromHost(raw);
        if (!m) return;
        if (m.kind === 'ready') {
          isReady = true;
          clearTimeout(timer);
          this.setState({ state: 'ready', pid: m.pid });
          resolve();
        } else this.onHostMessage(m);
      });
      child.onExit((code, signal) => {
        clearTimeout(timer);
        if (this.child !== child) return;
        this.child = undefined;
        this.ready = undefined;
        const hint = this.opts.crashHint();
        const why = (signal ? `killed by ${signal}` : `exited with code ${code}`) + (hint && !this.stopping ? `; its last lines are in ${hint}` : '');
        this.failAll(new QinsError('ENGINE_CRASHED', `the engine host ${why}`));
        if (!isReady) reject(new QinsError('ENGINE_UNAVAILABLE', `the engine host ${why} while starting`));
        if (this.stopping) {
          this.setState({ state: 'stopped', pid: null });
          return;
        }
        this.setState({ state: 'crashed', pid: null, lastError: `engine host ${why}` });
        this.scheduleRestart();
      });
    });
  }

  private scheduleRestart(): void {
    if (Date.now() - this.startedAt > this.opts.stableMs) this.backoff = this.opts.backoffMs;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping || this.ready) return;
      this.state.restarts += 1;
      this.ready = this.spawn();
      this.ready.catch(() => undefined); // a failed restart reports through onExit / status
    }, delay);
  }

  private onHostMessage(m: Exclude<FromHost, { kind: 'ready' }>): void {
    if (m.kind === 'event') {
      this.emit('event', ...([m.event, m.data] as HostEventArgs));
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (p.timer) clearTimeout(p.timer);
    if (m.ok) p.resolve(m.result);
    else p.reject(new QinsError(m.error.code, m.error.message));
  }

  private failAll(error: QinsError): void {
    for (const [id, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(error);
      this.pending.delete(id);
    }
  }

  /** Sends a request to the host. Waits for a starting host; fails fast when it is down. */
  async call<M extends HostMethod>(method: M, params: HostMethods[M]['params'], options: { timeoutMs?: number } = {}): Promise<HostMethods[M]['result']> {
    if (!this.ready) throw new QinsError('ENGINE_UNAVAILABLE', `the engine host is ${this.state.state === 'crashed' ? 'restarting' : 'not running'}`);
    await this.ready;
    const child = this.child;
    if (!child) throw new QinsError('ENGINE_UNAVAILABLE', 'the engine host is restarting');
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = options.timeoutMs
        ? setTimeout(() => {
            this.pending.delete(id);
            reject(new QinsError('ENGINE_UNAVAILABLE', `the engine host did not answer ${method} within ${options.timeoutMs} ms`));
          }, options.timeoutMs)
        : undefined;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      child.send({ kind: 'request', id, method, params } as ToHost);
    });
  }

  /** Stops the host for good (app exit). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) {
      this.setState({ state: 'stopped', pid: null });
      return;
    }
    await new Promise<void>((resolve) => {
      child.onExit(() => resolve());
      child.kill();
    });
  }

  /** For tests and crash drills: kills the current host as if it had crashed. */
  killHost(): void {
    this.child?.kill();
  }
}
