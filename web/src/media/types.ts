// Wire shapes of the API objects the media pages use (src/services/serializers.ts), as far as they read them.

export interface MediaFile {
  id: string;
  object: 'source' | 'track' | 'intelligence' | string;
  kind: string;
  type: string;
  codec?: string;
  container?: string;
  width?: number;
  height?: number;
  duration?: number;
  fps?: number;
  filesize: number;
  bitrate?: number;
  language?: string;
  label?: string;
  ref?: string;
  folder?: string;
  filename?: string;
  url: string;
  original?: boolean;
  media_id?: string;
  status?: string;
  metadata?: Record<string, unknown>;
  created: string;
  updated: string;
}

export interface Media {
  id: string;
  object: 'media';
  kind: 'video' | 'image' | 'audio' | string | null;
  title?: string;
  alt?: string;
  width?: number;
  height?: number;
  duration?: number;
  files: MediaFile[];
  urls: Record<string, string>;
  metadata?: Record<string, string | number | boolean | null>;
  created: string;
  updated: string;
}

export interface Task {
  id: string;
  object: 'task';
  kind: string;
  input: (Partial<MediaFile> & { url?: string }) | null;
  options: Record<string, unknown>;
  output: MediaFile | null;
  status: string;
  progress: number;
  eta?: number | null;
  error: string | null;
  media_id?: string;
  parent_id?: string;
  created: string;
  updated: string;
}

export interface OptionInfo {
  type: string;
  description?: string;
  values?: unknown[];
  min?: number;
  max?: number;
  default?: unknown;
  pattern?: string;
}

export interface KindInfo {
  description: string;
  inputs: string[];
  formats?: string[];
  options: Record<string, OptionInfo>;
  available: boolean;
  provider?: string | null;
  reason?: string;
}

/** An event as GET /events/{id} and the SSE stream carry it: the object is in `data`. */
export interface ApiEvent<T> {
  id: string;
  object: 'event';
  kind: string;
  data: T;
  created: string;
}

/** The original (or first source) file of a media. */
export function originalOf(m: Media): MediaFile | undefined {
  return m.files.find((f) => f.original) ?? m.files.find((f) => f.object === 'source') ?? m.files[0];
}

/** The name a media shows: its title, else its original file's name, else its id. */
export function mediaName(m: Media): string {
  return m.title || originalOf(m)?.filename || m.id;
}

/** The object an SSE message carries: events wrap it in `data`, task.progress sends it bare. */
export function payload<T>(data: unknown): T | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const d = data as { object?: string; data?: unknown };
  if (d.object === 'event') return (d.data as T) ?? undefined;
  return data as T;
}

export const TASK_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'];

export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s left`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s left`;
  return `${Math.floor(m / 60)} h ${m % 60} min left`;
}
