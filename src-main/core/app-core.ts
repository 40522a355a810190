// The core of the app, shared by the Electron main process and the headless web host: services,
// the request handlers of the contract, and the set of connected UI clients. No Electron here.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { type ApiStatus, type AppInfo, type EventChannel, type EventOf, QinsError } from '../../src-shared/contract.js';
import type { Settings, SettingsPatch } from '../../src-shared/records.js';
import { ApiCompletionService } from './api-service.js';
import { loadApiToken, regenerateApiToken } from './api-token.js';
import { ChatService, fromStoreError } from './chat-service.js';
import { EngineSupervisor, type HostLauncher } from './engine-supervisor.js';
import { GenerationQueue } from './generation-queue.js';
import { log, logFile } from './log.js';
import type { TokenStore } from './hub/env.js';
import { HubService } from './hub/service.js';
import { ModelLibrary } from './library.js';
import { appRoot, assetsDir, dataDir, dbPath, modelsDir } from './paths.js';
import { type ClientContext, type Handlers, type Router, createRouter } from './router.js';
import { type ChatStore, openChatStore, parseExportDocument, renderExport } from './store/index.js';
import { Telemetry } from './telemetry.js';

export interface CoreOptions {
  mode: AppInfo['mode'];
  launcher: HostLauncher;
  /** Electron / Chrome versions when running inside Electron. */
  electron?: { electron: string; chrome: string };
  /**
   * Convert the embedded default model on first run: true (the default) starts at `start()`;
   * 'when-needed' waits for the first UI client or API request (`qins serve`, whose window may
   * open long after the server), so whoever looks first sees the conversion happen.
   */
  firstRun?: boolean | 'when-needed';
  /**
   * Desktop app: starts the web host that serves the local API when the user turns it on. The
   * process that owns the core provides it (electron/main.ts); the core never starts a web host.
   */
  startApi?: (core: AppCore, listen: { port: number; token: string }) => Promise<ServingHost>;
  /** Desktop app: shows the native folder picker; resolves with the chosen path or null. */
  pickFolder?: () => Promise<string | null>;
  /** Desktop app: shows the native file picker for a model file (.qins, .qinz). */
  pickFile?: () => Promise<string | null>;
  /** Desktop app: the Hugging Face token saved encrypted (Electron safeStorage). */
  hubTokenStore?: TokenStore;
}

/** A web host serving this core, as the core sees it (web/server.ts WebHost). */
export interface ServingHost {
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

/** A connected UI client; `close()` runs the cleanups its subscriptions registered. */
export interface ConnectedClient extends ClientContext {
  close(): void;
}

function packageVersion(): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { productName?: string; version: string };
  return { name: pkg.productName ?? 'QINS Chat', version: pkg.version };
}

const EXPORT_MIME = { md: 'text/markdown', json: 'application/json', html: 'text/html' } as const;

export class AppCore {
  readonly engine: EngineSupervisor;
  readonly telemetry: Telemetry;
  readonly router: Router;
  readonly store: ChatStore;
  readonly library: ModelLibrary;
  readonly chat: ChatService;
  readonly queue = new GenerationQueue();
  readonly completions: ApiCompletionService;
  readonly hub: HubService;
  private readonly clients = new Map<string, ConnectedClient>();
  /** The web host serving this core (qins serve) or the desktop app's API host when enabled. */
  private webHost: ServingHost | undefined;
  /** Why the desktop API is not on the port the settings name (shown in Settings). */
  private apiNotice: string | null = null;
  /** firstRun 'when-needed': the conversion has not been started yet. */
  private firstRunPending = false;
  /** The deferred first run once started: its job is registered / it has finished (or failed). */
  private firstRun: { started: Promise<void>; finished: Promise<void> } | null = null;

  constructor(private readonly options: CoreOptions) {
    mkdirSync(dataDir(), { recursive: true });
    this.store = openChatStore();
    this.engine = new EngineSupervisor(options.launcher, { crashHint: logFile });
    const broadcast = this.broadcast.bind(this);
    this.library = new ModelLibrary(this.store, this.engine, broadcast);
    this.chat = new ChatService(this.store, this.engine, this.library, this.queue, broadcast);
    this.hub = new HubService({ importer: this.library, broadcast, dataDir: dataDir(), modelsDir: modelsDir(), tokenStore: options.hubTokenStore ?? null });
    this.completions = new ApiCompletionService(this.library, this.engine, this.queue, () => this.store.getSettings().contextPolicy, () => this.firstRunFinished());
    this.telemetry = new Telemetry(
      {
        engineMemory: async () => {
          if (this.engine.status().state !== 'ready') return null;
          try {
            return await this.engine.call('memory', {}, { timeoutMs: 2000 });
          } catch {
            return null;
          }
        },
      },
      () => this.chat.generationSample(),
    );
    this.engine.on('status', (s) => {
      if (s.state === 'crashed') log.error('core', s.lastError ?? 'the engine host crashed');
      this.broadcast('engine.status', s);
    });
    this.router = createRouter(this.handlers());
  }

  async start(): Promise<void> {
    await this.engine.start();
    if (this.options.firstRun === 'when-needed') this.firstRunPending = true;
    else if (this.options.firstRun !== false) await this.library.ensureDefaultModel();
    if (this.options.mode === 'electron' && this.store.getSettings().apiEnabled) await this.setApiEnabled(true).catch((e: unknown) => log.error('api', 'cannot start the local API', e));
  }

  async stop(): Promise<void> {
    this.telemetry.stopAll();
    for (const c of [...this.clients.values()]) c.close();
    if (this.options.mode === 'electron') await this.webHost?.close();
    await this.hub.stop();
    await this.engine.stop();
    // Replies still streaming keep what they have, marked incomplete; the rest is flushed.
    this.store.close();
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
    this.startFirstRun();
    return client;
  }

  broadcast<E extends EventChannel>(event: E, payload: EventOf<E>): void {
    for (const c of this.clients.values()) c.emit(event, payload);
  }

  /** Starts a deferred first-run conversion (firstRun: 'when-needed') once; no-op otherwise. */
  private startFirstRun(): void {
    if (!this.firstRunPending) return;
    this.firstRunPending = false;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const started = this.library.ensureDefaultModel(() => finish()).then(
      (job) => {
        if (!job || job.kind === 'register') finish();
      },
      (e: unknown) => {
        log.error('core', 'cannot convert the built-in model', e);
        finish();
      },
    );
    this.firstRun = { started, finished };
  }

  /** firstRun 'when-needed': the built-in model will be converted when the first client or API request arrives. */
  firstRunWaiting(): boolean {
    return this.firstRunPending && this.library.needsDefaultModel();
  }

  /** Resolves once a deferred first-run conversion has registered its job (at once if none). */
  private async firstRunStarted(): Promise<void> {
    await this.firstRun?.started;
  }

  /** API requests need the library: they start a deferred first run and wait for its outcome. */
  private async firstRunFinished(): Promise<void> {
    this.startFirstRun();
    await this.firstRun?.finished;
  }

  /** `qins serve`: the web host that serves this core (its API is always on). */
  attachWebHost(host: ServingHost): void {
    this.webHost = host;
  }

  apiStatus(): ApiStatus {
    const h = this.webHost;
    return h
      ? { enabled: true, url: `http://127.0.0.1:${h.port}/v1`, token: h.token, port: h.port, notice: this.apiNotice }
      : { enabled: false, url: null, token: null, port: null, notice: null };
  }

  /**
   * Desktop app: starts the API host on the port of the settings with the stored token; when that
   * port is taken, on a free one, with a notice saying so.
   */
  private async startApiHost(): Promise<ServingHost> {
    if (!this.options.startApi) throw new QinsError('UNSUPPORTED', 'this app cannot start the local API');
    const port = this.store.getSettings().apiPort;
    const token = loadApiToken();
    this.apiNotice = null;
    try {
      return await this.options.startApi(this, { port, token });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      const host = await this.options.startApi(this, { port: 0, token });
      this.apiNotice = `Port ${port} is in use by another program, so the API listens on port ${host.port} until the next start. Free the port or choose another one.`;
      return host;
    }
  }

  private async restartApiHost(): Promise<void> {
    if (this.options.mode !== 'electron' || !this.webHost) return;
    await this.webHost.close();
    this.webHost = undefined;
    this.webHost = await this.startApiHost();
  }

  /** Replaces the stored token; the desktop API restarts with it. Under `qins serve`, see --new-token. */
  async regenerateApiToken(): Promise<ApiStatus> {
    if (this.options.mode !== 'electron')
      throw new QinsError('UNSUPPORTED', 'this page is served by `qins serve`: restart it with `qins serve --new-token` for a new token');
    regenerateApiToken();
    await this.restartApiHost();
    return this.apiStatus();
  }

  /** Settings changes that concern the running API: a new port restarts it there. */
  private async updateSettings(patch: SettingsPatch): Promise<Settings> {
    const before = this.store.getSettings().apiPort;
    const after = this.store.updateSettings(patch);
    if (after.apiPort !== before) await this.restartApiHost();
    return after;
  }

  /** Desktop app: starts or stops the local API (it also serves the UI to a browser, token-guarded). */
  async setApiEnabled(enabled: boolean): Promise<ApiStatus> {
    if (this.options.mode !== 'electron') {
      if (!enabled) throw new QinsError('UNSUPPORTED', 'the API is always on in `qins serve`');
      return this.apiStatus();
    }
    if (enabled && !this.webHost) {
      this.webHost = await this.startApiHost();
    } else if (!enabled && this.webHost) {
      await this.webHost.close();
      this.webHost = undefined;
      this.apiNotice = null;
    }
    this.store.updateSettings({ apiEnabled: enabled });
    return this.apiStatus();
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
    const store = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (e) {
        throw fromStoreError(e);
      }
    };
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

      'settings.get': () => store(() => this.store.getSettings()),
      'settings.update': (patch) =>
        this.updateSettings(patch).catch((e: unknown) => {
          throw fromStoreError(e);
        }),
      'presets.list': () => store(() => this.store.listPresets()),
      'presets.save': (p) => store(() => this.store.savePreset(p)),
      'presets.delete': ({ id }) => ({ deleted: store(() => this.store.deletePreset(id)) }),
      'api.status': () => this.apiStatus(),
      'api.setEnabled': ({ enabled }) => this.setApiEnabled(enabled),
      'api.regenerateToken': () => this.regenerateApiToken(),
      'app.reportError': ({ message, stack }) => {
        log.error('renderer', stack ? `${message}\n${stack}` : message);
        return { logged: logFile() !== null };
      },

      'models.list': async () => {
        await this.firstRunStarted();
        return this.library.list();
      },
      'models.status': () => this.library.modelStatus(),
      'models.load': async ({ id }) => {
        await this.library.load(id);
        return this.library.modelStatus();
      },
      'models.delete': async ({ id }) => ({ deleted: await this.library.delete(id) }),
      'models.rename': ({ id, name }) => this.library.rename(id, name),
      'models.import': ({ source, codec, engine, name }) => this.library.import(source, codec, { engine, name }),
      'models.cancelImport': async ({ jobId }) => ({ cancelled: await this.library.cancelImport(jobId) }),
      'models.jobs': async () => {
        await this.firstRunStarted();
        return this.library.listJobs();
      },
      'models.pickFolder': async () => {
        if (!this.options.pickFolder) throw new QinsError('UNSUPPORTED', 'the folder picker is only in the desktop app: type the folder path');
        return { path: await this.options.pickFolder() };
      },
      'models.contextPlan': ({ id, contextLength }) => this.library.contextPlan(id, contextLength),
      'models.setContextLength': ({ id, contextLength }) => this.library.setContextLength(id, contextLength),
      'models.pickFile': async () => {
        if (!this.options.pickFile) throw new QinsError('UNSUPPORTED', 'the file picker is only in the desktop app: type the file path');
        return { path: await this.options.pickFile() };
      },
      'models.evaluate': ({ id }) => this.library.evaluate(id),
      'models.cancelEvaluate': async ({ jobId }) => ({ cancelled: await this.library.cancelEvaluate(jobId) }),

      'hub.preflight': ({ ref, codec }) => this.hub.preflight(ref, codec),
      'hub.download': ({ ref, codec, keepCheckpoint }) => this.hub.download(ref, codec, keepCheckpoint),
      'hub.pause': ({ jobId }) => this.hub.pause(jobId),
      'hub.resume': ({ jobId }) => this.hub.resume(jobId),
      'hub.cancel': async ({ jobId }) => ({ cancelled: await this.hub.cancel(jobId) }),
      'hub.dismiss': ({ jobId }) => ({ dismissed: this.hub.dismiss(jobId) }),
      'hub.jobs': () => this.hub.list(),
      'hub.cache': () => this.hub.cache(),
      'hub.convertCached': ({ path, codec }) => this.hub.convertCached(path, codec),
      'hub.token': () => this.hub.tokenStatus(),
      'hub.setToken': ({ token }) => this.hub.setToken(token),

      'conversations.list': (p) => store(() => this.store.listConversations(p)),
      'conversations.create': (p) =>
        store(() => {
          const settings = this.store.getSettings();
          const c = this.store.createConversation({
            title: p.title ?? 'New chat',
            systemPrompt: p.systemPrompt ?? settings.defaultSystemPrompt,
            sampling: p.sampling ?? settings.defaultSampling,
            modelId: p.modelId ?? this.library.modelStatus().loaded?.modelId ?? settings.defaultModelId,
          });
          this.broadcast('conversations.changed', { conversationId: c.id });
          return { conversation: c, thread: [] };
        }),
      'conversations.get': ({ id }) => this.chat.view(id),
      'conversations.update': ({ id, patch }) =>
        store(() => {
          const c = this.store.updateConversation(id, patch);
          this.broadcast('conversations.changed', { conversationId: id });
          return c;
        }),
      'conversations.delete': async ({ id }) => ({ deleted: await this.chat.deleteConversation(id) }),
      'conversations.search': ({ query, limit }) => store(() => this.store.search(query, { limit })),
      'conversations.export': ({ ids, format }) =>
        store(() => {
          const doc = this.store.exportDocument(ids);
          const stamp = new Date().toISOString().slice(0, 10);
          const base = ids?.length === 1 ? (doc.conversations[0]?.title ?? 'conversation').replace(/[^\w.-]+/g, '-').slice(0, 60) : 'qins-chat';
          return { filename: `${base}-${stamp}.${format}`, mime: EXPORT_MIME[format], content: renderExport(doc, format) };
        }),
      'conversations.import': ({ content }) =>
        store(() => {
          const r = this.store.importConversations(parseExportDocument(content, 'the imported file').conversations);
          this.broadcast('conversations.changed', { conversationId: null });
          return r;
        }),

      'chat.send': ({ conversationId, content, parentId }) => this.chat.send(conversationId, content, parentId),
      'chat.regenerate': ({ conversationId, messageId }) => this.chat.regenerate(conversationId, messageId),
      'chat.continue': ({ conversationId, messageId }) => this.chat.continue(conversationId, messageId),
      'chat.reply': ({ conversationId, messageId }) => this.chat.reply(conversationId, messageId),
      'chat.edit': ({ conversationId, messageId, content }) => this.chat.edit(conversationId, messageId, content),
      'chat.stop': async ({ jobId }) => ({ stopped: await this.chat.stop(jobId) }),
      'chat.switchBranch': ({ conversationId, messageId }) => this.chat.switchBranch(conversationId, messageId),
      'chat.deleteMessage': ({ conversationId, messageId }) => this.chat.deleteMessage(conversationId, messageId),
      'chat.contextUsage': ({ conversationId, draft }) => this.chat.contextUsage(conversationId, draft),
    };
  }
}
