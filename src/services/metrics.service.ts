// Prometheus metrics for one process (docs/operations.md lists every name). Counters and histograms are fed
// where the thing happens (the HTTP hook, a task's end, a webhook attempt, an upload, a blob store call);
// the queue gauges are read from the database at scrape time, so every node reports the same queue.
// Each context has its own registry: tests build many contexts in one process.
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  Registry,
  type RegistryContentType,
} from 'prom-client';
import type { BlobStore } from '../blobs/blob-store.js';
import type { QueueStats } from '../store/tasks.repository.js';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const TASK_SECONDS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const SPEED = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64];

export interface MetricsDeps {
  /** the queue as the database sees it; read at scrape time */
  queueStats: () => Promise<QueueStats>;
}

export class MetricsService {
  readonly registry = new Registry();
  private processMetrics = false;
  private readonly requests: Histogram<'method' | 'route' | 'status'>;
  private readonly tasksFinished: Counter<'kind' | 'status'>;
  private readonly taskSeconds: Histogram<'kind' | 'status'>;
  private readonly taskSpeed: Histogram<'kind'>;
  private readonly webhooks: Counter<'outcome'>;
  private readonly uploads: Counter<'via'>;
  private readonly blobErrors: Counter<'op'>;

  constructor(deps: MetricsDeps) {
    const registers = [this.registry];
    this.requests = new Histogram({
      name: 'mediary_http_request_duration_seconds',
      help: 'API requests by method, route pattern and status (count = rate, sum/buckets = latency)',
      labelNames: ['method', 'route', 'status'],
      buckets: SECONDS,
      registers,
    });
    this.tasksFinished = new Counter({
      name: 'mediary_task_runs_total',
      help: 'Task runs that ended, by kind and how: completed, failed, retry',
      labelNames: ['kind', 'status'],
      registers,
    });
    this.taskSeconds = new Histogram({
      name: 'mediary_task_duration_seconds',
      help: 'Wall time of one task run (claim to end), by kind and how it ended',
      labelNames: ['kind', 'status'],
      buckets: TASK_SECONDS,
      registers,
    });
    this.taskSpeed = new Histogram({
      name: 'mediary_task_speed_ratio',
      help: 'Media seconds processed per wall second (× real time) of completed runs on timed media, by kind',
      labelNames: ['kind'],
      buckets: SPEED,
      registers,
    });
    this.webhooks = new Counter({
      name: 'mediary_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: delivered, retry, failed',
      labelNames: ['outcome'],
      registers,
    });
    this.uploads = new Counter({
      name: 'mediary_upload_bytes_total',
      help: 'Bytes received by finished uploads, by how they came: put (one request), chunked (Content-Range), tus',
      labelNames: ['via'],
      registers,
    });
    this.blobErrors = new Counter({
      name: 'mediary_blob_errors_total',
      help: 'Blob store calls that failed (a missing object is not an error), by operation',
      labelNames: ['op'],
      registers,
    });
    // one read serves the three queue gauges of a scrape
    let pending: Promise<QueueStats> | null = null;
    const stats = () => {
      pending ??= deps.queueStats().finally(() => {
        setImmediate(() => {
          pending = null;
        });
      });
      return pending;
    };
    new Gauge({
      name: 'mediary_tasks',
      help: 'Tasks in the database by kind and status',
      labelNames: ['kind', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const r of (await stats()).byKindStatus) this.set({ kind: r.kind, status: r.status }, r.count);
      },
    });
    new Gauge({
      name: 'mediary_queue_depth',
      help: 'Pending tasks that are due (waiting for a worker)',
      registers,
      async collect() {
        this.set((await stats()).waiting);
      },
    });
    new Gauge({
      name: 'mediary_queue_oldest_waiting_seconds',
      help: 'Age of the oldest due pending task (since it was created or came due), 0 when none waits',
      registers,
      async collect() {
        this.set((await stats()).oldestWaitingSeconds);
      },
    });
  }

  /** Node's process metrics (CPU, memory, event loop): only for a process that serves /metrics. */
  withProcessMetrics(): this {
    if (!this.processMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix: 'mediary_' });
      this.processMetrics = true;
    }
    return this;
  }

  async scrape(): Promise<{ contentType: RegistryContentType; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** one histogram child per (method, route, status): prom-client hashes the labels on every observe */
  private readonly requestSeries = new Map<string, { observe(seconds: number): void }>();

  request(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      series = this.requests.labels({ method, route, status: String(status) });
      // routes are patterns, so the series are few; the cap only guards against a surprise
      if (this.requestSeries.size < 10_000) this.requestSeries.set(key, series);
    }
    series.observe(seconds);
  }

  /** A run ended; mediaSeconds is the input's duration for timed media (speed = media time / wall time). */
  private readonly taskSeries = new Map<
    string,
    { finished: { inc(): void }; seconds: { observe(v: number): void } }
  >();

  taskRun(kind: string, status: 'completed' | 'failed' | 'retry', seconds: number, mediaSeconds?: number) {
    const key = `${kind} ${status}`;
    let series = this.taskSeries.get(key);
    if (!series) {
      series = {
        finished: this.tasksFinished.labels({ kind, status }),
        seconds: this.taskSeconds.labels({ kind, status }),
      };
      this.taskSeries.set(key, series);
    }
    series.finished.inc();
    series.seconds.observe(seconds);
    if (status === 'completed' && mediaSeconds && mediaSeconds > 0 && seconds > 0) {
      this.taskSpeed.observe({ kind }, mediaSeconds / seconds);
    }
  }

  webhookAttempt(outcome: 'delivered' | 'retry' | 'failed'): void {
    this.webhooks.inc({ outcome });
  }

  uploadBytes(via: string, bytes: number): void {
    if (bytes > 0) this.uploads.inc({ via }, bytes);
  }

  /** The same store, counting the calls that fail (BlobNotFoundError is an answer, not a failure). */
  countBlobErrors(store: BlobStore): BlobStore {
    const count = (op: string, err: unknown) => {
      if ((err as Error)?.name !== 'BlobNotFoundError') this.blobErrors.inc({ op });
      throw err;
    };
    return new Proxy(store, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const out = value.apply(target, args);
          return out instanceof Promise ? out.catch((err) => count(String(prop), err)) : out;
        };
      },
    });
  }
}
