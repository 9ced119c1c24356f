// The composition root: opens the store and blob store and wires the services. Entry points (CLI, tests,
// benchmarks) build one of these and hand it to buildApp(); nothing here listens or binds signals.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BlobStore } from './blobs/blob-store.js';
import { createBlobStore } from './blobs/index.js';
import type { Config } from './config.js';
import { loadOrCreateSecret, SecretBox } from './lib/secrets.js';
import { FilesService } from './services/files.service.js';
import { IngestService } from './services/ingest.service.js';
import { MediaService } from './services/media.service.js';
import { ProjectsService } from './services/projects.service.js';
import { Serializer } from './services/serializers.js';
import { WebhooksService } from './services/webhooks.service.js';
import { migrate, openStore, type Store } from './store/db.js';
import { MediaRepository } from './store/media.repository.js';
import { ProjectsRepository } from './store/projects.repository.js';
import { WebhooksRepository } from './store/webhooks.repository.js';

export interface AppContext {
  config: Config;
  store: Store;
  blobs: BlobStore;
  box: SecretBox;
  serializer: Serializer;
  repos: { projects: ProjectsRepository; media: MediaRepository };
  projects: ProjectsService;
  media: MediaService;
  files: FilesService;
  ingest: IngestService;
  /** task webhook outbox; the dispatcher (worker/webhook-dispatcher.ts) sends from it */
  webhooks: WebhooksService;
  /** closers run in reverse order by close() */
  onClose(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}

export async function createContext(config: Config): Promise<AppContext> {
  mkdirSync(join(config.dataDir, 'tmp'), { recursive: true });
  const store = openStore(config.databaseUrl);
  await migrate(store);
  const blobs = createBlobStore(config);
  const box = new SecretBox(loadOrCreateSecret(config.dataDir, config.secret));
  const repos = { projects: new ProjectsRepository(store.db), media: new MediaRepository(store.db) };
  const projects = new ProjectsService(repos.projects, box);
  const ingest = new IngestService(config, repos.media, blobs);
  const closers: (() => Promise<void> | void)[] = [];
  const ctx: AppContext = {
    config,
    store,
    blobs,
    box,
    serializer: new Serializer(config.deliveryUrl),
    repos,
    projects,
    media: new MediaService(repos.media, blobs),
    files: new FilesService(repos.media, blobs, ingest),
    ingest,
    webhooks: new WebhooksService(store, new WebhooksRepository(store.db, store.dialect), projects, config),
    onClose: (fn) => closers.push(fn),
    close: async () => {
      for (const fn of closers.reverse()) await fn();
      await store.close();
    },
  };
  return ctx;
}
