// The composition root: opens the store and blob store and wires the services. Entry points (CLI, tests,
// benchmarks) build one of these and hand it to buildApp(); nothing here listens or binds signals.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import type { BlobStore } from './blobs/blob-store.js';
import { createBlobStore } from './blobs/index.js';
import type { Config } from './config.js';
import { loadOrCreateSecret, SecretBox } from './lib/secrets.js';
import { TaskKindRegistry } from './runners/registry.js';
import type { TaskKindDefinition } from './runners/runner.js';
import { DeliveryService } from './services/delivery.service.js';
import { FilesService } from './services/files.service.js';
import { IngestService } from './services/ingest.service.js';
import { MediaService } from './services/media.service.js';
import { ProjectsService } from './services/projects.service.js';
import { Serializer } from './services/serializers.js';
import { SignaturesService } from './services/signatures.service.js';
import { TasksService } from './services/tasks.service.js';
import { UploadsService } from './services/uploads.service.js';
import { WebhooksService } from './services/webhooks.service.js';
import { migrate, openStore, type Store } from './store/db.js';
import { MediaRepository } from './store/media.repository.js';
import { ProjectsRepository } from './store/projects.repository.js';
import { TaskSignals } from './store/task-signals.js';
import { TasksRepository } from './store/tasks.repository.js';
import { UploadsRepository } from './store/uploads.repository.js';
import { WebhooksRepository } from './store/webhooks.repository.js';
import { type EngineOptions, TaskEngine } from './worker/engine.js';

export interface AppContext {
  config: Config;
  /** the one logger: HTTP, engine and webhook dispatcher all write through it (keys redacted) */
  log: Logger;
  store: Store;
  blobs: BlobStore;
  box: SecretBox;
  serializer: Serializer;
  repos: { projects: ProjectsRepository; media: MediaRepository; tasks: TasksRepository };
  projects: ProjectsService;
  media: MediaService;
  files: FilesService;
  ingest: IngestService;
  signatures: SignaturesService;
  delivery: DeliveryService;
  uploads: UploadsService;
  /** task webhook outbox; the dispatcher (worker/webhook-dispatcher.ts) sends from it */
  webhooks: WebhooksService;
  kinds: TaskKindRegistry;
  taskSignals: TaskSignals;
  tasks: TasksService;
  /** A task engine over this context's store, not started: tests drive it with runUntilIdle(). */
  createWorker(opts?: EngineOptions): TaskEngine;
  /** A started task engine; close() stops it. */
  startWorker(opts?: EngineOptions): Promise<TaskEngine>;
  /** closers run in reverse order by close() */
  onClose(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}

export interface ContextOptions {
  /** task kinds added to (or replacing) the built-in ones: the hook for test and benchmark kinds */
  kinds?: TaskKindDefinition[];
}

export async function createContext(config: Config, opts: ContextOptions = {}): Promise<AppContext> {
  mkdirSync(join(config.dataDir, 'tmp'), { recursive: true });
  const log = pino({
    level: config.logLevel,
    // never write a key or a signature, whatever a caller puts in a log line
    redact: ['req.headers.authorization', 'headers.authorization', 'authorization', 'key', 'secret'],
  });
  const store = openStore(config.databaseUrl);
  await migrate(store);
  const blobs = createBlobStore(config);
  const box = new SecretBox(loadOrCreateSecret(config.dataDir, config.secret));
  const repos = {
    projects: new ProjectsRepository(store.db),
    media: new MediaRepository(store.db, store.sqlite),
    tasks: new TasksRepository(store),
  };
  const projects = new ProjectsService(repos.projects, box);
  const ingest = new IngestService(config, repos.media, blobs);
  const signatures = new SignaturesService(projects, config.deliveryUrl);
  const closers: (() => Promise<void> | void)[] = [];
  const serializer = new Serializer(config.deliveryUrl);
  const kinds = new TaskKindRegistry(opts.kinds);
  const taskSignals = new TaskSignals(store);
  closers.push(() => taskSignals.close());
  const tasks = new TasksService({
    config,
    repo: repos.tasks,
    media: repos.media,
    kinds,
    serializer,
    signals: taskSignals,
  });
  const createWorker = (engineOpts?: EngineOptions) =>
    new TaskEngine(
      {
        config,
        tasks: repos.tasks,
        media: repos.media,
        blobs,
        ingest,
        kinds,
        signals: taskSignals,
        log: (level, msg, data) => log[level](data ?? {}, msg),
        onFinished: (trx, task, output) => tasks.announceFinished(trx, task, output),
      },
      engineOpts,
    );
  const ctx: AppContext = {
    config,
    log,
    store,
    blobs,
    box,
    serializer,
    repos,
    projects,
    media: new MediaService(repos.media, blobs),
    files: new FilesService(repos.media, blobs, ingest),
    ingest,
    signatures,
    delivery: new DeliveryService(repos.projects, projects, repos.media, signatures),
    uploads: new UploadsService(config, new UploadsRepository(store.db), repos.media, ingest),
    webhooks: new WebhooksService(store, new WebhooksRepository(store.db, store.dialect), projects, config),
    kinds,
    taskSignals,
    tasks,
    createWorker,
    startWorker: async (engineOpts) => {
      const engine = createWorker(engineOpts);
      closers.push(() => engine.stop());
      await engine.start();
      return engine;
    },
    onClose: (fn) => closers.push(fn),
    close: async () => {
      for (const fn of closers.reverse()) await fn();
      await store.close();
    },
  };
  tasks.setEventSink(ctx.webhooks);
  return ctx;
}
