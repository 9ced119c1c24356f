// The composition root: opens the store and blob store and builds every service, the task worker and the
// webhook dispatcher, each with what it needs passed in (nothing is wired after construction). Entry points
// (CLI, tests, benchmarks) build one of these and hand it to buildApp() / buildDeliveryApp(); nothing here
// listens on a port or binds process signals.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { createAiProviders } from './ai/providers.js';
import type { AiProviders } from './ai/types.js';
import type { BlobStore } from './blobs/blob-store.js';
import { createBlobStore } from './blobs/index.js';
import type { Config } from './config.js';
import { RateLimiter } from './lib/rate-limit.js';
import { readServerSecret, SecretBox } from './lib/secrets.js';
import { configureMediaTools } from './media/ffmpeg.js';
import { configureSharp } from './media/image.js';
import { BUILT_IN_KINDS, intelligenceKinds, TaskKindRegistry } from './runners/registry.js';
import type { TaskKindDefinition } from './runners/runner.js';
import { AccountsService } from './services/accounts.service.js';
import { AutomationsService } from './services/automations.service.js';
import { DeliveryService } from './services/delivery.service.js';
import { EventStreamService } from './services/event-stream.service.js';
import { EventsService } from './services/events.service.js';
import { FilesService } from './services/files.service.js';
import { HealthService } from './services/health.service.js';
import { IdempotencyService } from './services/idempotency.service.js';
import { IngestService } from './services/ingest.service.js';
import { MediaService } from './services/media.service.js';
import { MetricsService } from './services/metrics.service.js';
import { ProjectsService } from './services/projects.service.js';
import { checkServerSecret } from './services/secret-check.js';
import { Serializer } from './services/serializers.js';
import { SignaturesService } from './services/signatures.service.js';
import { TaskRunService } from './services/task-runs.service.js';
import { TasksService } from './services/tasks.service.js';
import { TempSweeper } from './services/temp-sweeper.js';
import { UploadsService } from './services/uploads.service.js';
import { UsageService } from './services/usage.service.js';
import { WebhooksService } from './services/webhooks.service.js';
import { WorkflowsService } from './services/workflows.service.js';
import { AutomationsRepository } from './store/automations.repository.js';
import { migrate, openStore, type Store } from './store/db.js';
import { EventsRepository } from './store/events.repository.js';
import { IdempotencyRepository } from './store/idempotency.repository.js';
import { InstallationRepository } from './store/installation.repository.js';
import { MediaRepository } from './store/media.repository.js';
import { ProjectsRepository } from './store/projects.repository.js';
import { Signals } from './store/queue.js';
import { TasksRepository } from './store/tasks.repository.js';
import { UploadsRepository } from './store/uploads.repository.js';
import { UsageRepository } from './store/usage.repository.js';
import { UsersRepository } from './store/users.repository.js';
import { WebhooksRepository } from './store/webhooks.repository.js';
import { type EngineOptions, TaskEngine } from './worker/engine.js';
import { type DispatcherOptions, WebhookDispatcher } from './worker/webhook-dispatcher.js';

export interface AppContext {
  config: Config;
  /** the one logger: HTTP, worker and webhook dispatcher all write through it (keys redacted) */
  log: Logger;
  store: Store;
  blobs: BlobStore;
  box: SecretBox;
  serializer: Serializer;
  /** this process's Prometheus registry; cli/start.ts serves it when MEDIARY_METRICS_PORT is set */
  metrics: MetricsService;
  /** Idempotency-Key on POST: the kept first responses, per project, in the database */
  idempotency: IdempotencyService;
  /** per API key token buckets of this node (off unless MEDIARY_RATE_LIMIT_PER_MINUTE is set) */
  rateLimiter: RateLimiter;
  /** /ready and `mediary doctor`: database, storage, ffmpeg (and for doctor: encoders, TLS, disk) */
  health: HealthService;
  repos: { projects: ProjectsRepository; media: MediaRepository; tasks: TasksRepository };
  /** wake-ups between API, workers and dispatchers (in-process, and LISTEN/NOTIFY on PostgreSQL) */
  signals: Signals;
  projects: ProjectsService;
  /** dashboard users, sign-in links and browser sessions (docs/webapp.md) */
  accounts: AccountsService;
  /** GET /usage: storage and task counts of a project */
  usage: UsageService;
  media: MediaService;
  files: FilesService;
  ingest: IngestService;
  signatures: SignaturesService;
  delivery: DeliveryService;
  uploads: UploadsService;
  /** task webhook outbox; the dispatcher (worker/webhook-dispatcher.ts) decides when to send */
  webhooks: WebhooksService;
  /** the event log every change writes, with its fan-out to webhook endpoints and automations */
  events: EventsService;
  /** GET /events/stream: one poller per process, running while someone listens */
  eventStream: EventStreamService;
  automations: AutomationsService;
  kinds: TaskKindRegistry;
  /** speech, chat/vision and nsfw engines, built once per process; the intelligence kinds run on them */
  ai: AiProviders;
  tasks: TasksService;
  /** what running one task means; the worker (worker/engine.ts) calls it */
  runs: TaskRunService;
  /** removes task work dirs and ingest downloads a crash left in {data dir}/tmp; cli/start.ts runs it */
  temp: TempSweeper;
  /** A task worker over this context's store, not started: tests drive it with runUntilIdle(). */
  createWorker(opts?: EngineOptions): TaskEngine;
  /** A started task worker; close() stops it. */
  startWorker(opts?: EngineOptions): Promise<TaskEngine>;
  /** A started webhook dispatcher; close() stops it. */
  startWebhookDispatcher(opts?: DispatcherOptions): WebhookDispatcher;
  /** closers run in reverse order by close() */
  onClose(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}

/** never write a key or a signature, whatever a caller puts in a log line (docs/operations.md) */
export const LOG_REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'key',
  'secret',
  'signature',
  'headers["webhook-signature"]',
];

export interface ContextOptions {
  /** task kinds added to (or replacing) the built-in ones: the hook for test and benchmark kinds */
  kinds?: TaskKindDefinition[];
  /** the AI engines (default: built from config.ai); tests pass their own, e.g. with short retry delays */
  ai?: AiProviders;
}

export async function createContext(config: Config, opts: ContextOptions = {}): Promise<AppContext> {
  mkdirSync(join(config.dataDir, 'tmp'), { recursive: true });
  const log = pino({
    level: config.logLevel,
    // never write a key or a signature, whatever a caller puts in a log line
    redact: LOG_REDACT,
  });
  // a configured tool path that does not work fails the tasks that need it, with a message naming it;
  // without one, tools are looked up at first use (and again after a failed lookup)
  const { ffmpegPath, ffprobePath } = config.limits;
  if (ffmpegPath || ffprobePath) configureMediaTools({ ffmpegPath, ffprobePath }).catch(() => {});
  // decode memory is bounded by pixels, not file size (docs/tasks.md, Image decode memory)
  configureSharp({ slots: config.workerConcurrency, decodePixelBudget: config.limits.maxPixels });
  const store = openStore(config.databaseUrl);
  await migrate(store);
  const metrics = new MetricsService({ queueStats: () => repos.tasks.queueStats(Date.now()) });
  const blobs = metrics.countBlobErrors(createBlobStore(config));
  const secret = readServerSecret(config.dataDir, config.secret);
  const box = new SecretBox(secret.secret);
  try {
    const note = await checkServerSecret(new InstallationRepository(store.db), secret, box, {
      shared: store.dialect === 'postgres',
    });
    if (note) log.warn(note);
  } catch (err) {
    await store.close();
    throw err;
  }
  const closers: (() => Promise<void> | void)[] = [];
  const signals = new Signals(store);
  closers.push(() => signals.close());
  const repos = {
    projects: new ProjectsRepository(store.db),
    media: new MediaRepository(store.db, store.sqlite, config.hotRows ? store.commits : undefined),
    tasks: new TasksRepository(store),
  };
  const serializer = new Serializer(config.deliveryUrl);
  const automationsRepo = new AutomationsRepository(store.db, store.sqlite);
  const ai = opts.ai ?? createAiProviders(config.ai);
  closers.push(() => ai.close());
  const kinds = new TaskKindRegistry(opts.kinds, [...BUILT_IN_KINDS, ...intelligenceKinds(ai)]);
  const projects = new ProjectsService(repos.projects, box);
  const signatures = new SignaturesService(projects, config.deliveryUrl);
  const webhooks = new WebhooksService({
    repo: new WebhooksRepository(store.db, store.dialect, store.sqlite),
    signals,
    projects,
    box,
    config,
    metrics,
  });
  const events = new EventsService({
    config,
    repo: new EventsRepository(store.db, store.sqlite),
    automations: automationsRepo,
    tasks: repos.tasks,
    media: repos.media,
    webhooks,
    serializer,
  });
  const eventStream = new EventStreamService({
    config,
    events: new EventsRepository(store.db),
    tasks: repos.tasks,
    log: (msg, data) => log.warn(data ?? {}, msg),
  });
  closers.push(() => eventStream.close());
  const ingest = new IngestService(config, repos.media, blobs, signals, events);
  const workflows = new WorkflowsService({ tasks: repos.tasks, media: repos.media, events });
  const tasks = new TasksService({
    config,
    repo: repos.tasks,
    media: repos.media,
    kinds,
    signals,
    events,
    workflows,
  });
  const runs = new TaskRunService({
    config,
    tasks: repos.tasks,
    media: repos.media,
    blobs,
    ingest,
    kinds,
    signals,
    events,
    workflows,
    serializer,
    projects,
    metrics,
  });
  const createWorker = (engineOpts?: EngineOptions) =>
    new TaskEngine({ config, runs, log: (level, msg, data) => log[level](data ?? {}, msg) }, engineOpts);
  return {
    config,
    log,
    store,
    blobs,
    box,
    serializer,
    metrics,
    // a request may run as long as a URL ingest; one held longer than that died with its node
    idempotency: new IdempotencyService(new IdempotencyRepository(store.db), {
      lockMs: config.limits.ingestTimeoutMs + 60_000,
    }),
    rateLimiter: new RateLimiter(config.rateLimit),
    health: new HealthService({
      config,
      blobs,
      pingDatabase: async () => {
        await store.db.selectFrom('orgs').select('id').limit(1).execute();
        return `${store.dialect} reachable`;
      },
    }),
    repos,
    signals,
    projects,
    accounts: new AccountsService({
      users: new UsersRepository(store.db),
      projectsRepo: repos.projects,
      projects,
      config,
    }),
    usage: new UsageService(new UsageRepository(store.db)),
    media: new MediaService(repos.media, blobs, signals, events),
    files: new FilesService(repos.media, blobs, ingest, signals, events),
    ingest,
    signatures,
    delivery: new DeliveryService(repos.projects, projects, repos.media, signatures),
    uploads: new UploadsService(config, new UploadsRepository(store.db), repos.media, ingest, metrics),
    webhooks,
    events,
    eventStream,
    automations: new AutomationsService({ repo: automationsRepo, kinds, config }),
    kinds,
    ai,
    tasks,
    runs,
    // old enough that no download can still be writing (ingest timeout) and no fresh work dir is touched
    temp: new TempSweeper({
      tmpDir: join(config.dataDir, 'tmp'),
      tasks: repos.tasks,
      minAgeMs: Math.max(3_600_000, config.limits.ingestTimeoutMs + 15 * 60_000),
    }),
    createWorker,
    startWorker: async (engineOpts) => {
      const engine = createWorker(engineOpts);
      closers.push(() => engine.stop());
      await engine.start();
      return engine;
    },
    startWebhookDispatcher: (dispatcherOpts) => {
      const dispatcher = new WebhookDispatcher({ webhooks, config }, { log, ...dispatcherOpts });
      closers.push(() => dispatcher.stop());
      dispatcher.start();
      return dispatcher;
    },
    onClose: (fn) => closers.push(fn),
    close: async () => {
      for (const fn of closers.reverse()) await fn();
      await store.close();
    },
  };
}
