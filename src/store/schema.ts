// Table shapes as Kysely sees them. Timestamps are ISO-8601 text, JSON is text, booleans are 0/1 integers,
// so SQLite and PostgreSQL behave the same and the serializers do the conversions.
export interface OrgsTable {
  id: string;
  name: string;
  created: string;
}

export interface ProjectsTable {
  id: string;
  org_id: string;
  name: string;
  /** JSON: ProjectSettings */
  settings: string;
  /** secret for signing webhook deliveries (Standard Webhooks), encrypted like API keys */
  webhook_secret_enc: string | null;
  created: string;
  updated: string;
}

export interface ApiKeysTable {
  id: string;
  project_id: string;
  name: string | null;
  /** sha256 hex of the key, for lookup */
  key_hash: string;
  /** AES-256-GCM of the key with the server secret; signed URLs need the key itself */
  key_enc: string;
  /** last four characters, for listings */
  key_hint: string;
  created: string;
  revoked: string | null;
  /** when it was paused; null while active (migration 008) */
  paused: string | null;
  /** set by a roll: the key stops working after this (migration 008) */
  expires: string | null;
  /** last authenticated use, recorded at most about once a minute (migration 008) */
  last_used: string | null;
  /** migration 008; older rows got their created time */
  updated: string | null;
}

export interface MediaTable {
  id: string;
  project_id: string;
  title: string | null;
  alt: string | null;
  metadata: string | null;
  created_by: string | null;
  /** when its first file's media.created event was written; null until then */
  announced: string | null;
  created: string;
  updated: string;
}

export interface FilesTable {
  id: string;
  project_id: string;
  media_id: string;
  object: string;
  kind: string;
  type: string;
  codec: string | null;
  container: string | null;
  width: number | null;
  height: number | null;
  orientation: string | null;
  rotation: number | null;
  transparency: number | null;
  animated: number | null;
  frames: number | null;
  duration: number | null;
  fps: number | null;
  filesize: number;
  bitrate: number | null;
  language: string | null;
  label: string | null;
  ref: string | null;
  folder: string | null;
  filename: string | null;
  /** delivery path inside the project: folder/filename, sanitised */
  path: string;
  placeholder: string | null;
  background: string | null;
  metadata: string | null;
  original: number;
  created_by: string | null;
  /** blob store key: projectId/fileId */
  blob_key: string | null;
  status: string;
  created: string;
  updated: string;
}

// --- webhook delivery outbox (migration 004) ---
export interface WebhookDeliveriesTable {
  id: string;
  project_id: string;
  task_id: string | null;
  /** the receiver's URL exactly as given, query string included */
  url: string;
  /** e.g. task.completed, task.failed */
  type: string;
  /** the exact JSON text that is sent and signed */
  payload: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  /** when the next attempt is due; null once the delivery succeeded or failed */
  next_attempt_at: string | null;
  lease_until: string | null;
  /** random token of the claim holding the lease, so a late finisher cannot overwrite a newer claim */
  lease_owner: string | null;
  last_status: number | null;
  last_error: string | null;
  /** the endpoint it goes to (null for a task's own webhook_url) */
  endpoint_id: string | null;
  /** the event it reports (null for a task's own webhook_url) */
  event_id: string | null;
  created: string;
  updated: string;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  started: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}
// --- end webhook delivery outbox ---

// --- tasks: each row is its own queue entry (migration 003) ---
export interface TasksTable {
  id: string;
  project_id: string;
  kind: string;
  /** pending | processing | completed | failed | cancelled */
  status: string;
  /** JSON: the merged options as submitted */
  options: string;
  input_file_id: string | null;
  /** the URL input before (and after) it is ingested */
  input_url: string | null;
  /** JSON: the input FileRow when the task was created (or when its URL was ingested) */
  input_snapshot: string | null;
  /** where outputs go: the input's media */
  media_id: string | null;
  output_file_id: string | null;
  /** JSON: kind-specific results (control kinds) */
  results: string | null;
  webhook_url: string | null;
  error: string | null;
  /** 0-100 */
  progress: number;
  /** seconds left, while processing */
  eta: number | null;
  /** lower runs first: 0 interactive (API), 10 automation, 20 backfill */
  priority: number;
  /** claims so far, including the current one */
  attempts: number;
  max_attempts: number;
  /** not claimable before this (retry backoff) */
  run_after: string;
  /** a processing task whose lease passed is claimable again */
  lease_until: string | null;
  worker_id: string | null;
  created_by: string | null;
  automation_id: string | null;
  parent_id: string | null;
  /** JSON: the workflow steps this task starts when it completes (a workflow parent: its top-level steps) */
  steps: string | null;
  /** the event that started this automation run (unique per automation) */
  trigger_event_id: string | null;
  started: string | null;
  completed: string | null;
  created: string;
  updated: string;
}
// --- end tasks ---

// --- resumable uploads (migration 002) ---
export interface UploadsTable {
  id: string;
  project_id: string;
  /** put: chunked PUT with Content-Range; tus: the tus protocol */
  protocol: 'put' | 'tus';
  /** sanitised delivery path the finished file gets */
  path: string;
  folder: string | null;
  filename: string;
  /** declared size in bytes; null while a tus upload defers its length */
  total: number | null;
  /** JSON [start, end, part][] of the chunks received (inclusive ends), put only */
  chunks: string;
  received_bytes: number;
  status: 'receiving' | 'finishing' | 'complete' | 'failed';
  file_id: string | null;
  created_by: string | null;
  /** JSON: protocol details (tus metadata and creation date) */
  meta: string | null;
  /** bumped by every update: writers compare-and-set on it */
  version: number;
  expires: string;
  created: string;
  updated: string;
}
// --- end resumable uploads ---

// --- events, automations, webhook endpoints (migration 005) ---
export interface EventsTable {
  id: string;
  project_id: string;
  /** file.created, media.created, task.completed, automation.triggered, ... */
  kind: string;
  /** JSON: the object the event is about, as the API shows it */
  data: string;
  created: string;
}

export interface AutomationsTable {
  id: string;
  project_id: string;
  name: string | null;
  description: string | null;
  /** JSON: {kind: "event", event} */
  trigger: string;
  /** the trigger's event kind, for the lookup when an event is written */
  trigger_event: string | null;
  /** JSON: the steps, verbatim as given */
  workflow: string;
  status: 'active' | 'paused';
  created: string;
  updated: string;
}

export interface WebhookEndpointsTable {
  id: string;
  project_id: string;
  url: string;
  description: string | null;
  /** JSON array of event kinds; empty = all */
  topics: string;
  status: 'active' | 'paused';
  /** the signing secret (whsec_…), sealed with the server secret */
  secret_enc: string;
  created: string;
  updated: string;
}
// --- end events, automations, webhook endpoints ---

/** installation-wide facts every node must agree on (migration 006); `secret_check` is the first */
export interface InstallationTable {
  name: string;
  value: string;
  created: string;
}

/** Idempotency-Key (migration 007): the first request's fingerprint and, once finished, its response */
export interface IdempotencyKeysTable {
  project_id: string;
  key: string;
  /** sha256 of method, path and body */
  fingerprint: string;
  owner: string;
  /** while the first request runs: after this, its node is taken to have died and the key is free again */
  locked_until: string | null;
  response_status: number | null;
  response_type: string | null;
  response_body: string | null;
  created: string;
  expires: string;
}

// --- accounts: users, browser sessions, sign-in links (migration 008) ---
export interface UsersTable {
  id: string;
  org_id: string;
  /** lower-cased */
  email: string;
  role: 'owner' | 'member';
  /** scrypt$N$r$p$salt$hash; null until the user accepts a sign-in link */
  password_hash: string | null;
  created: string;
  updated: string;
  last_sign_in: string | null;
}

export interface SessionsTable {
  /** sha256 hex of the cookie value */
  id_hash: string;
  user_id: string;
  /** the selected project */
  project_id: string;
  csrf_token: string;
  created: string;
  last_seen: string;
  /** absolute expiry */
  expires: string;
}

export interface SignInTokensTable {
  /** sha256 hex of the token in the link */
  token_hash: string;
  user_id: string;
  /** invite | reset | bootstrap */
  purpose: string;
  created: string;
  expires: string;
  used: string | null;
}
/** one failed sign-in, under `acct:<email>` and under `ip:<address>` (migration 011) */
export interface SignInFailuresTable {
  key: string;
  at: string;
}
// --- end accounts ---

export interface Database {
  orgs: OrgsTable;
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  media: MediaTable;
  files: FilesTable;
  uploads: UploadsTable;
  tasks: TasksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  events: EventsTable;
  automations: AutomationsTable;
  webhook_endpoints: WebhookEndpointsTable;
  installation: InstallationTable;
  idempotency_keys: IdempotencyKeysTable;
  users: UsersTable;
  sessions: SessionsTable;
  sign_in_tokens: SignInTokensTable;
  sign_in_failures: SignInFailuresTable;
}
