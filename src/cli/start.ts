// `mediary start`: API + delivery + worker in one process by default, or one role of them.
import { type AppContext, createContext } from '../app-context.js';
import type { Config } from '../config.js';
import { buildApp } from '../http/app.js';
import { buildDeliveryApp } from '../http/delivery/delivery-app.js';
import { listenMetrics } from '../http/metrics-server.js';
import { loadTls } from '../http/tls.js';
import type { TaskEngine } from '../worker/engine.js';

export interface Running {
  ctx: AppContext;
  apiUrl?: string;
  stop(): Promise<void>;
}

/** Fastify logs "listening at http://…" for our https server; say what is true. */
function listenText(what: string, config: Config) {
  return (address: string) =>
    `${what} listening at ${address.replace(/^http:/, config.trustProxy ? 'http:' : 'https:')}`;
}

export async function startServer(config: Config): Promise<Running> {
  const ctx = await createContext(config);
  const { createdKey } = await ctx.projects.bootstrap(config.initialApiKey);
  // the first owner of the dashboard, on any start that finds no users (older installs too)
  const admin = await ctx.accounts.bootstrap();
  const tls = config.trustProxy ? undefined : await loadTls(config);
  const stops: (() => Promise<void>)[] = [];
  const banner: string[] = [];
  let worker: TaskEngine | undefined;
  let apiUrl: string | undefined;
  if (config.role !== 'worker') {
    const app = await buildApp(ctx, { tls });
    await app.listen({ host: config.host, port: config.port, listenTextResolver: listenText('API', config) });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    apiUrl = `${config.trustProxy ? 'http' : 'https'}://${config.host}:${port}`;
    banner.push(`  API       ${config.publicUrl}  (listening on ${apiUrl})`);
    stops.push(() => app.close());
  }
  if (config.role !== 'worker') {
    // delivery host: files, uploads and tus on their own port, same TLS; plus the abandoned-upload sweeper
    const delivery = await buildDeliveryApp(ctx, { tls });
    await delivery.listen({
      host: config.host,
      port: config.deliveryPort,
      listenTextResolver: listenText('delivery', config),
    });
    const daddr = delivery.server.address();
    const dport = typeof daddr === 'object' && daddr ? daddr.port : config.deliveryPort;
    banner.push(`  delivery  ${config.deliveryUrl}  (listening on ${config.host}:${dport})`);
    const stopSweeper = ctx.uploads.startSweeper();
    stops.push(async () => {
      stopSweeper();
      await delivery.close();
    });
  }
  // every role: task work dirs and ingest downloads that a killed process left behind, now and every 10 min
  const stopTempSweeper = ctx.temp.start(10 * 60_000, (err) =>
    ctx.log.warn({ err: err.message }, 'temp sweeper failed'),
  );
  stops.push(async () => stopTempSweeper());
  // every role, on SQLite: WAL checkpoints (two fsyncs each) on a thread of their own, not in some commit
  ctx.store.startCheckpointer?.({
    onError: (message) => ctx.log.warn({ err: message }, 'SQLite checkpoint failed'),
  });
  // every role: the event log kept for MEDIARY_EVENT_RETENTION_DAYS, pruned now and every hour
  const stopEventPruner = ctx.events.startPruner(60 * 60_000, (err) =>
    ctx.log.warn({ err: err.message }, 'event pruning failed'),
  );
  stops.push(async () => stopEventPruner());
  if (config.role !== 'api') {
    // task webhooks: sends from the outbox; close() lets attempts in flight finish (bounded by the timeout)
    ctx.startWebhookDispatcher();
  }
  if (config.role !== 'api' && config.workerConcurrency > 0) {
    // the context also stops it on close; with role all it shares the process (and its wake-ups) with the API
    worker = await ctx.startWorker();
    banner.push(`  worker    ${config.workerConcurrency} task slot(s)`);
  }
  if (config.metricsPort !== undefined) {
    const m = await listenMetrics(ctx.metrics.withProcessMetrics(), {
      host: config.metricsHost,
      port: config.metricsPort,
    });
    banner.push(`  metrics   http://${config.metricsHost}:${m.port}/metrics`);
    stops.push(() => m.close());
  }
  banner.push(`  data      ${config.dataDir}  (${ctx.store.dialect}, ${ctx.blobs.kind} storage)`);
  if (createdKey) {
    process.stdout.write(
      `\nFirst start: created org, projects "development" and "production", and an API key for "development"` +
        `${config.initialApiKey ? ' (from MEDIARY_INITIAL_API_KEY)' : ''}.\n` +
        `${config.initialApiKey ? '' : `It is shown once:\n\n  ${createdKey.key}\n`}\n`,
    );
  }
  if (admin) {
    process.stdout.write(
      `Dashboard owner: ${admin.email}\nSign in (link valid 24 h, shown once): ${admin.url}\n\n`,
    );
  }
  if (tls?.selfSigned) {
    process.stdout.write(
      `TLS: self-signed certificate at ${tls.certPath} (trust it, or use NODE_EXTRA_CA_CERTS)\n`,
    );
  }
  process.stdout.write(`mediary ready (role ${config.role})\n${banner.join('\n')}\n`);
  return {
    ctx,
    apiUrl,
    /**
     * Graceful: the listeners stop accepting and drain the requests in flight; the worker claims nothing new
     * and gives running tasks MEDIARY_SHUTDOWN_GRACE_MS to finish, then hands the rest back at once (no
     * waiting for their leases to lapse elsewhere).
     */
    stop: async () => {
      for (const s of stops.reverse()) await s();
      await worker?.stop(config.tasks.shutdownGraceMs);
      await ctx.close();
    },
  };
}

export async function startCommand(config: Config): Promise<number> {
  // the handlers go in before anything starts: a SIGTERM that arrives while starting (or just as "ready" is
  // printed) is held and honoured once the server is up, instead of killing the process mid-start
  let running: Running | undefined;
  let held: string | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping\n`);
    await running?.stop();
    process.exit(0);
  };
  const onSignal = (signal: string) => {
    if (running) void stop(signal);
    else held ??= signal;
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  running = await startServer(config);
  if (held) await stop(held);
  return 0;
}
