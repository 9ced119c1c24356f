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
}

export interface MediaTable {
  id: string;
  project_id: string;
  title: string | null;
  alt: string | null;
  metadata: string | null;
  created_by: string | null;
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

export interface Database {
  orgs: OrgsTable;
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  media: MediaTable;
  files: FilesTable;
}
