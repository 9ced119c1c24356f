// The only module that reads the environment. loadConfig() validates once and returns a frozen object
// that is passed down explicitly; nothing else looks at process.env.
import { availableParallelism, totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { RateLimitSettings } from './lib/rate-limit.js';

export type ApiVersion = '2025-01-01' | '2025-07-01' | '2025-08-20';
export const API_VERSIONS: readonly ApiVersion[] = ['2025-01-01', '2025-07-01', '2025-08-20'];
export const LATEST_VERSION: ApiVersion = '2025-08-20';

export type Role = 'all' | 'api' | 'worker';

export interface S3Settings {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
  /** stream (proxy bytes with Range) or redirect (302 to a presigned URL) */
  delivery: 'stream' | 'redirect';
}

export interface Limits {
  /** JSON request bodies on the API port */
  bodyBytes: number;
  /** bytes fetched by URL ingest */
  ingestBytes: number;
  /** wall-clock limit for one URL fetch */
  ingestTimeoutMs: number;
  /** time without any bytes before a fetch is abandoned */
  ingestIdleMs: number;
  /** max redirects followed by URL ingest */
  maxRedirects: number;
  /** bytes accepted by one upload (simple or resumable) */
  uploadBytes: number;
  /** an unfinished resumable upload (chunked PUT or tus) idle this long is deleted, seconds */
  uploadTtlSeconds: number;
  /** largest image (width × height) decoded */
  maxPixels: number;
  /** longest media duration accepted for processing, seconds */
  maxDurationSeconds: number;
  /** ffmpeg watchdog: no progress for this long → killed, attempt failed (MEDIARY_FFMPEG_STALL_MS) */
  ffmpegStallMs: number;
  /** the ffmpeg/ffprobe to run (MEDIARY_FFMPEG_PATH, MEDIARY_FFPROBE_PATH); default: PATH, then the npm installers */
  ffmpegPath?: string;
  ffprobePath?: string;
}

/** The event log (src/services/events.service.ts). */
export interface EventSettings {
  /** events older than this are pruned (MEDIARY_EVENT_RETENTION_DAYS) */
  retentionDays: number;
  /** a poster task for each new video or image media (MEDIARY_AUTO_POSTER, default true) */
  autoPoster: boolean;
  /** GET /events/stream: a comment line this often keeps proxies from closing it (MEDIARY_EVENT_STREAM_KEEPALIVE_MS) */
  streamKeepAliveMs: number;
  /** GET /events/stream: open streams per project and process; more get 429 (MEDIARY_EVENT_STREAM_MAX) */
  streamMaxPerProject: number;
}

/** The task engine (src/worker/). */
export interface TaskSettings {
  /** runs per task before it fails for good (MEDIARY_TASK_MAX_ATTEMPTS) */
  maxAttempts: number;
  /** a claim lasts this long unless the worker's heartbeat renews it (MEDIARY_TASK_LEASE_MS) */
  leaseMs: number;
  /** fallback poll for due retries and expired leases, when no wake-up arrives (MEDIARY_TASK_POLL_MS) */
  pollMs: number;
  /** first retry delay; doubles per attempt, capped at 10 minutes (MEDIARY_TASK_RETRY_DELAY_MS) */
  retryDelayMs: number;
  /** tasks of one project running at once across all workers; 0 = no limit (MEDIARY_PROJECT_CONCURRENCY) */
  projectConcurrency: number;
  /** on SIGTERM, running tasks get this long to finish before they are given back (MEDIARY_SHUTDOWN_GRACE_MS) */
  shutdownGraceMs: number;
}

/** Dashboard accounts and browser sessions (docs/webapp.md). */
export interface AccountSettings {
  /** a session unused this long ends (MEDIARY_SESSION_IDLE_HOURS) */
  sessionIdleHours: number;
  /** a session ends this long after sign-in, used or not (MEDIARY_SESSION_MAX_DAYS) */
  sessionMaxDays: number;
  /** the first owner's email, made on a start with no users (MEDIARY_ADMIN_EMAIL) */
  adminEmail: string;
}

export interface Config {
  dataDir: string;
  host: string;
  port: number;
  deliveryPort: number;
  databaseUrl: string;
  /** SQLite: keep hot rows (GET /files/{id}) in memory while nothing is committed (store/hot-rows.ts) */
  hotRows: boolean;
  tlsCert?: string;
  tlsKey?: string;
  /** when true, serve plain HTTP and trust X-Forwarded-* from a TLS-terminating proxy */
  trustProxy: boolean;
  publicUrl: string;
  deliveryUrl: string;
  initialApiKey?: string;
  allowPrivateUrls: boolean;
  defaultVersion: ApiVersion;
  storageUrl: string;
  s3?: S3Settings;
  role: Role;
  logLevel: string;
  workerConcurrency: number;
  corsOrigins: string[];
  /** serve Prometheus /metrics on this port (plain HTTP); undefined: off (MEDIARY_METRICS_PORT) */
  metricsPort?: number;
  /** the metrics listener's address (MEDIARY_METRICS_HOST, default 127.0.0.1) */
  metricsHost: string;
  /** token bucket per API key, per API node (MEDIARY_RATE_LIMIT_PER_MINUTE, MEDIARY_RATE_LIMIT_BURST) */
  rateLimit: RateLimitSettings;
  limits: Limits;
  /** secret used to encrypt API keys at rest; from MEDIARY_SECRET or generated into the data dir */
  secret?: string;
  webhooks: WebhookSettings;
  tasks: TaskSettings;
  events: EventSettings;
  ai: AiSettings;
  accounts: AccountSettings;
}

/** The intelligence kinds' engines (src/ai/, docs/intelligence.md). Unset means "not offered". */
export interface AiSettings {
  /** an OpenAI-compatible API root, e.g. http://127.0.0.1:11434/v1 (MEDIARY_AI_BASE_URL); private addresses allowed */
  baseUrl?: string;
  /** sent as the Bearer token (MEDIARY_AI_API_KEY) */
  apiKey?: string;
  /** chat and vision model for description, prompt, outline, chapter titles (MEDIARY_AI_MODEL) */
  model?: string;
  /** when set, speech goes to {baseUrl}/audio/transcriptions with this model (MEDIARY_AI_SPEECH_MODEL) */
  speechModel?: string;
  /** the nsfw engine: nsfwjs (local, default) or the vision model at {baseUrl} (MEDIARY_AI_NSFW_PROVIDER) */
  nsfwProvider: 'nsfwjs' | 'openai';
  /** whisper.cpp's CLI (whisper-cli or main) and its ggml model (MEDIARY_WHISPER_BIN, MEDIARY_WHISPER_MODEL) */
  whisperBin?: string;
  whisperModel?: string;
  /** pocketsphinx's acoustic model, dictionary and language model (MEDIARY_POCKETSPHINX_MODEL_DIR) */
  pocketsphinxModelDir: string;
  /** one request to the provider, ms (MEDIARY_AI_TIMEOUT_MS) */
  timeoutMs: number;
  /** further tries after a 429, 5xx, timeout or connection error (MEDIARY_AI_MAX_RETRIES) */
  maxRetries: number;
  /** provider requests one task may make, retries included (MEDIARY_AI_MAX_REQUESTS) */
  maxRequestsPerTask: number;
}

export interface WebhookSettings {
  /** a failing delivery is retried until this long after it was created (MEDIARY_WEBHOOK_RETRY_HOURS) */
  retryHours: number;
  /** a receiver must answer within this long (MEDIARY_WEBHOOK_TIMEOUT_MS) */
  timeoutMs: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function bool(env: Env, name: string, dflt: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${v}"`);
}

function int(env: Env, name: string, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${v}"`);
  }
  return n;
}

function num(env: Env, name: string, dflt: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a number between ${min} and ${max}, got "${v}"`);
  }
  return n;
}

function origin(env: Env, name: string, dflt: string): string {
  const v = env[name] || dflt;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got "${v}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(`${name} must be http(s)`);
  return v.replace(/\/+$/, '');
}

/** Flags from the CLI override the environment; their names are the env names without MEDIARY_. */
/**
 * Task slots the machine can run: one per core, but no more than one per GiB of memory (a slot decoding a
 * large image or encoding HD video needs about that), at least 1 and at most 16.
 */
export function defaultSlots(cores = availableParallelism(), memoryBytes = totalmem()): number {
  return Math.max(1, Math.min(16, cores, Math.floor(memoryBytes / 2 ** 30)));
}

export function loadConfig(env: Env = process.env, flags: Record<string, string | undefined> = {}): Config {
  const merged: Env = { ...env };
  for (const [k, v] of Object.entries(flags)) {
    if (v !== undefined) merged[`MEDIARY_${k.toUpperCase().replace(/-/g, '_')}`] = v;
  }
  const dataDir = resolve(merged.MEDIARY_DATA_DIR || './data');
  const host = merged.MEDIARY_HOST || '127.0.0.1';
  const port = int(merged, 'MEDIARY_PORT', 8443, 0, 65535);
  const deliveryPort = int(merged, 'MEDIARY_DELIVERY_PORT', 8444, 0, 65535);
  const trustProxy = bool(merged, 'MEDIARY_TRUST_PROXY', false);
  const scheme = trustProxy ? 'http' : 'https';
  const linkHost = host === '0.0.0.0' || host === '::' || host === '127.0.0.1' ? 'localhost' : host;
  const defaultVersion = (merged.MEDIARY_DEFAULT_VERSION || '2025-07-01') as ApiVersion;
  if (!API_VERSIONS.includes(defaultVersion)) {
    throw new ConfigError(`MEDIARY_DEFAULT_VERSION must be one of ${API_VERSIONS.join(', ')}`);
  }
  const tlsCert = merged.MEDIARY_TLS_CERT || undefined;
  const tlsKey = merged.MEDIARY_TLS_KEY || undefined;
  if (Boolean(tlsCert) !== Boolean(tlsKey)) {
    throw new ConfigError('MEDIARY_TLS_CERT and MEDIARY_TLS_KEY must be set together');
  }
  const role = (merged.MEDIARY_ROLE || 'all') as Role;
  if (!['all', 'api', 'worker'].includes(role))
    throw new ConfigError('MEDIARY_ROLE must be all, api or worker');

  let databaseUrl = merged.MEDIARY_DATABASE_URL || `sqlite://${resolve(dataDir, 'mediary.db')}`;
  if (!/^(sqlite:|postgres(ql)?:)/.test(databaseUrl)) {
    throw new ConfigError('MEDIARY_DATABASE_URL must start with sqlite:// or postgres://');
  }
  if (databaseUrl.startsWith('postgres') && merged.PGUSER) {
    // libpq's PGUSER names the user when the URL does not (the store falls back to the OS user)
    const url = new URL(databaseUrl);
    if (!url.username) {
      url.username = merged.PGUSER;
      databaseUrl = url.toString();
    }
  }

  const storageUrl = merged.MEDIARY_STORAGE_URL || `file://${resolve(dataDir, 'blobs')}`;
  let s3: S3Settings | undefined;
  if (storageUrl.startsWith('s3://')) {
    const u = new URL(storageUrl);
    const delivery = (merged.MEDIARY_S3_DELIVERY || 'stream') as S3Settings['delivery'];
    if (delivery !== 'stream' && delivery !== 'redirect') {
      throw new ConfigError('MEDIARY_S3_DELIVERY must be stream or redirect');
    }
    s3 = {
      bucket: u.hostname,
      prefix: u.pathname.replace(/^\/+|\/+$/g, ''),
      endpoint: merged.MEDIARY_S3_ENDPOINT || undefined,
      region: merged.MEDIARY_S3_REGION || 'us-east-1',
      accessKeyId: merged.MEDIARY_S3_ACCESS_KEY_ID || undefined,
      secretAccessKey: merged.MEDIARY_S3_SECRET_ACCESS_KEY || undefined,
      forcePathStyle: bool(merged, 'MEDIARY_S3_FORCE_PATH_STYLE', Boolean(merged.MEDIARY_S3_ENDPOINT)),
      delivery,
    };
  } else if (!storageUrl.startsWith('file://')) {
    throw new ConfigError('MEDIARY_STORAGE_URL must start with file:// or s3://');
  }

  const mb = 1024 * 1024;
  const config: Config = {
    dataDir,
    host,
    port,
    deliveryPort,
    databaseUrl,
    hotRows: bool(merged, 'MEDIARY_HOT_ROWS', true),
    tlsCert,
    tlsKey,
    trustProxy,
    publicUrl: origin(merged, 'MEDIARY_PUBLIC_URL', `${scheme}://${linkHost}:${port}`),
    deliveryUrl: origin(merged, 'MEDIARY_DELIVERY_URL', `${scheme}://${linkHost}:${deliveryPort}`),
    initialApiKey: merged.MEDIARY_INITIAL_API_KEY || undefined,
    allowPrivateUrls: bool(merged, 'MEDIARY_ALLOW_PRIVATE_URLS', false),
    defaultVersion,
    storageUrl,
    s3,
    role,
    logLevel: merged.MEDIARY_LOG_LEVEL || 'info',
    workerConcurrency: int(merged, 'MEDIARY_WORKER_CONCURRENCY', defaultSlots(), 0, 256),
    corsOrigins: (merged.MEDIARY_CORS_ORIGINS || '*')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    metricsPort: merged.MEDIARY_METRICS_PORT ? int(merged, 'MEDIARY_METRICS_PORT', 0, 0, 65535) : undefined,
    metricsHost: merged.MEDIARY_METRICS_HOST || '127.0.0.1',
    rateLimit: {
      perMinute: int(merged, 'MEDIARY_RATE_LIMIT_PER_MINUTE', 0, 0, 1_000_000),
      burst: int(
        merged,
        'MEDIARY_RATE_LIMIT_BURST',
        Math.max(1, int(merged, 'MEDIARY_RATE_LIMIT_PER_MINUTE', 0, 0, 1_000_000)),
        1,
        1_000_000,
      ),
    },
    limits: {
      bodyBytes: int(merged, 'MEDIARY_MAX_BODY_BYTES', 1 * mb, 1024),
      ingestBytes: int(merged, 'MEDIARY_MAX_INGEST_BYTES', 4096 * mb, 1),
      ingestTimeoutMs: int(merged, 'MEDIARY_INGEST_TIMEOUT_MS', 10 * 60_000, 100),
      ingestIdleMs: int(merged, 'MEDIARY_INGEST_IDLE_MS', 30_000, 50),
      maxRedirects: int(merged, 'MEDIARY_MAX_REDIRECTS', 5, 0, 20),
      uploadBytes: int(merged, 'MEDIARY_MAX_UPLOAD_BYTES', 8192 * mb, 1),
      uploadTtlSeconds: int(merged, 'MEDIARY_UPLOAD_TTL_SECONDS', 24 * 3600, 1),
      maxPixels: int(merged, 'MEDIARY_MAX_PIXELS', 8192 * 8192, 1),
      maxDurationSeconds: int(merged, 'MEDIARY_MAX_DURATION_SECONDS', 4 * 3600, 1),
      ffmpegStallMs: int(merged, 'MEDIARY_FFMPEG_STALL_MS', 60_000, 1000),
      ffmpegPath: merged.MEDIARY_FFMPEG_PATH || undefined,
      ffprobePath: merged.MEDIARY_FFPROBE_PATH || undefined,
    },
    secret: merged.MEDIARY_SECRET || undefined,
    webhooks: {
      // fractional hours are allowed so a short horizon can be tried out without waiting a day
      retryHours: num(merged, 'MEDIARY_WEBHOOK_RETRY_HOURS', 24, 0, 24 * 30),
      timeoutMs: int(merged, 'MEDIARY_WEBHOOK_TIMEOUT_MS', 5000, 100, 120_000),
    },
    events: {
      retentionDays: num(merged, 'MEDIARY_EVENT_RETENTION_DAYS', 30, 0.001, 3650),
      autoPoster: bool(merged, 'MEDIARY_AUTO_POSTER', true),
      streamKeepAliveMs: int(merged, 'MEDIARY_EVENT_STREAM_KEEPALIVE_MS', 15_000, 100, 600_000),
      streamMaxPerProject: int(merged, 'MEDIARY_EVENT_STREAM_MAX', 100, 1, 100_000),
    },
    tasks: {
      maxAttempts: int(merged, 'MEDIARY_TASK_MAX_ATTEMPTS', 3, 1, 100),
      leaseMs: int(merged, 'MEDIARY_TASK_LEASE_MS', 30_000, 500),
      pollMs: int(merged, 'MEDIARY_TASK_POLL_MS', 2000, 10),
      retryDelayMs: int(merged, 'MEDIARY_TASK_RETRY_DELAY_MS', 5000, 0),
      projectConcurrency: int(merged, 'MEDIARY_PROJECT_CONCURRENCY', 8, 0, 10_000),
      shutdownGraceMs: int(merged, 'MEDIARY_SHUTDOWN_GRACE_MS', 30_000, 0, 3_600_000),
    },
    ai: loadAi(merged),
    accounts: {
      sessionIdleHours: num(merged, 'MEDIARY_SESSION_IDLE_HOURS', 24, 0.01, 24 * 365),
      sessionMaxDays: num(merged, 'MEDIARY_SESSION_MAX_DAYS', 14, 0.001, 3650),
      adminEmail: (merged.MEDIARY_ADMIN_EMAIL || 'admin@localhost').trim().toLowerCase(),
    },
  };
  return Object.freeze(config);
}

function loadAi(env: Env): AiSettings {
  const str = (name: string) => env[name]?.trim() || undefined;
  const baseUrl = str('MEDIARY_AI_BASE_URL') ? origin(env, 'MEDIARY_AI_BASE_URL', '') : undefined;
  const model = str('MEDIARY_AI_MODEL');
  const speechModel = str('MEDIARY_AI_SPEECH_MODEL');
  if ((model || speechModel) && !baseUrl) {
    throw new ConfigError(
      `${model ? 'MEDIARY_AI_MODEL' : 'MEDIARY_AI_SPEECH_MODEL'} needs MEDIARY_AI_BASE_URL (an OpenAI-compatible endpoint such as http://127.0.0.1:11434/v1)`,
    );
  }
  const nsfwProvider = (str('MEDIARY_AI_NSFW_PROVIDER') ?? 'nsfwjs').toLowerCase();
  if (nsfwProvider !== 'nsfwjs' && nsfwProvider !== 'openai') {
    throw new ConfigError(`MEDIARY_AI_NSFW_PROVIDER must be nsfwjs or openai, not "${nsfwProvider}"`);
  }
  if (nsfwProvider === 'openai' && !model) {
    throw new ConfigError(
      'MEDIARY_AI_NSFW_PROVIDER=openai needs MEDIARY_AI_BASE_URL and MEDIARY_AI_MODEL (a vision model)',
    );
  }
  const whisperBin = str('MEDIARY_WHISPER_BIN');
  const whisperModel = str('MEDIARY_WHISPER_MODEL');
  if (Boolean(whisperBin) !== Boolean(whisperModel)) {
    throw new ConfigError('MEDIARY_WHISPER_BIN and MEDIARY_WHISPER_MODEL must be set together');
  }
  return {
    baseUrl,
    apiKey: str('MEDIARY_AI_API_KEY'),
    model,
    speechModel,
    nsfwProvider,
    // a bare name is looked up on PATH when it is run, like ffmpeg's
    whisperBin: whisperBin?.includes('/') ? resolve(whisperBin) : whisperBin,
    whisperModel: whisperModel ? resolve(whisperModel) : undefined,
    pocketsphinxModelDir: resolve(
      str('MEDIARY_POCKETSPHINX_MODEL_DIR') ?? '/usr/share/pocketsphinx/model/en-us',
    ),
    timeoutMs: int(env, 'MEDIARY_AI_TIMEOUT_MS', 120_000, 100),
    maxRetries: int(env, 'MEDIARY_AI_MAX_RETRIES', 3, 0, 10),
    maxRequestsPerTask: int(env, 'MEDIARY_AI_MAX_REQUESTS', 50, 1, 10_000),
  };
}
