// The only place where stored rows become wire objects (snake_case, ISO timestamps, no internal columns).
import type { FileRow, MediaRow } from '../store/media.repository.js';
import type { TaskRow } from '../store/tasks.repository.js';
import { deliveryUrlFor } from './delivery-url.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type WireObject = Record<string, unknown>;

export function parseJson<T = Json>(text: string | null | undefined): T | null {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

function bool(v: number | null): boolean | undefined {
  return v === null ? undefined : v === 1;
}

function opt<T>(v: T | null): T | undefined {
  return v === null ? undefined : v;
}

/** The File subset a task shows as its `input` (spec §4.4), plus media_id. */
const TASK_INPUT_FIELDS = [
  'id',
  'object',
  'kind',
  'type',
  'width',
  'height',
  'duration',
  'fps',
  'filesize',
  'bitrate',
  'url',
  'ref',
  'metadata',
  'media_id',
  'created',
  'updated',
];

export class Serializer {
  constructor(private readonly deliveryOrigin: string) {}

  fileUrl(row: Pick<FileRow, 'project_id' | 'path'>): string {
    return deliveryUrlFor(this.deliveryOrigin, row.project_id, row.path);
  }

  /** File (spec §4.1). Absent optional facts are omitted rather than sent as null. */
  file(row: FileRow): WireObject {
    return {
      id: row.id,
      object: row.object,
      kind: row.kind,
      type: row.type,
      codec: opt(row.codec),
      container: opt(row.container),
      width: opt(row.width),
      height: opt(row.height),
      orientation: opt(row.orientation),
      rotation: opt(row.rotation),
      transparency: bool(row.transparency),
      animated: bool(row.animated),
      frames: opt(row.frames),
      duration: opt(row.duration),
      fps: opt(row.fps),
      filesize: row.filesize,
      bitrate: opt(row.bitrate),
      language: opt(row.language),
      label: opt(row.label),
      ref: opt(row.ref),
      folder: opt(row.folder),
      filename: opt(row.filename),
      url: this.fileUrl(row),
      placeholder: opt(row.placeholder),
      background: opt(row.background),
      metadata: parseJson(row.metadata) ?? undefined,
      original: row.original === 1,
      created_by: opt(row.created_by),
      media_id: row.media_id,
      status: row.status,
      created: row.created,
      updated: row.updated,
    };
  }

  /** MediaSource (spec §4.2): the file without the fields the media already carries. */
  mediaSource(row: FileRow): WireObject {
    const f = this.file(row);
    for (const k of [
      'media_id',
      'animated',
      'language',
      'label',
      'placeholder',
      'background',
      'created_by',
    ]) {
      if (k !== 'language' || row.object === 'source') delete f[k];
    }
    return f;
  }

  media(row: MediaRow, files: FileRow[]): WireObject {
    const original = files.find((f) => f.original === 1) ?? files.find((f) => f.object === 'source');
    const urls: Record<string, string> = {};
    for (const f of files) if (f.ref && f.status === 'ready') urls[f.ref] = this.fileUrl(f);
    let updated = row.updated;
    for (const f of files) if (f.updated > updated) updated = f.updated;
    return {
      id: row.id,
      object: 'media',
      kind: original ? original.kind : null,
      title: opt(row.title),
      alt: opt(row.alt),
      width: opt(original?.width ?? null),
      height: opt(original?.height ?? null),
      duration: opt(original?.duration ?? null),
      files: files.map((f) => this.mediaSource(f)),
      urls,
      background: original?.background ?? null,
      metadata: parseJson(row.metadata) ?? undefined,
      created_by: opt(row.created_by),
      created: row.created,
      updated,
    };
  }

  /**
   * Task (spec §4.4). `input` is the input file as it was when the task got it (or `{url}` until a URL
   * input is ingested); `output` is the primary output file as it is now; `eta` only while processing.
   */
  task(row: TaskRow, output: FileRow | null, children?: TaskRow[]): WireObject {
    const input = parseJson<FileRow>(row.input_snapshot);
    return {
      id: row.id,
      object: 'task',
      kind: row.kind,
      input: input ? this.taskInput(input) : row.input_url ? { url: row.input_url } : null,
      options: parseJson(row.options) ?? {},
      output: output ? this.file(output) : null,
      status: row.status,
      progress: Math.round(row.progress),
      eta: row.status === 'processing' ? row.eta : undefined,
      error: row.error,
      media_id: opt(row.media_id),
      webhook_url: opt(row.webhook_url),
      parent_id: opt(row.parent_id),
      results: parseJson(row.results) ?? undefined,
      workflow: children?.map((c) => this.taskSummary(c)),
      created_by: opt(row.created_by),
      started: opt(row.started),
      completed: opt(row.completed),
      created: row.created,
      updated: row.updated,
    };
  }

  /** TaskSummary (spec §4.4): a workflow's step as its parent lists it. */
  taskSummary(row: TaskRow): WireObject {
    return {
      id: row.id,
      object: 'task',
      kind: row.kind,
      status: row.status,
      progress: Math.round(row.progress),
      error: row.error,
      output_file_id: row.output_file_id,
      created_by: opt(row.created_by),
      parent_id: opt(row.parent_id),
      created: row.created,
      updated: row.updated,
    };
  }

  private taskInput(row: FileRow): WireObject {
    const f = this.file(row);
    const out: WireObject = {};
    for (const k of TASK_INPUT_FIELDS) {
      if (f[k] !== undefined) out[k] = f[k];
    }
    return out;
  }
}
