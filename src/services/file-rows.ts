// The one place a new `files` row is put together, whichever way the file came in: ingest (URL, upload, the
// ingest task) or a task's output. Callers state what they know; names, the delivery path, ids, defaults and
// timestamps are filled in here, so every way in stores a row of the same shape.
import { newId } from '../lib/ids.js';
import { now } from '../lib/time.js';
import type { ProbeResult } from '../media/probe.js';
import type { FileRow } from '../store/media.repository.js';
import { factColumns } from './file-facts.js';
import type { Metadata } from './metadata.js';
import { idShapedPathProblem, joinPath, sanitizeFilename, sanitizeFolder } from './paths.js';

export interface NewFile {
  /** default: a new `file_` id (give it when the blob key or other names need it first) */
  id?: string;
  projectId: string;
  mediaId: string;
  /** source, video, image, audio, track, intelligence, ... */
  object: string;
  kind: string;
  /** MIME type */
  type: string;
  /** what a probe found; what it did not find is stored as null */
  facts?: Partial<ProbeResult>;
  /** bytes stored */
  filesize: number;
  /** where the bytes are; default `fileBlobKey(projectId, id)` */
  blobKey?: string;
  /** user-given, sanitised here; empty → no folder */
  folder?: string | null;
  /** user-given, sanitised here; the first that survives sanitising wins, else `{id}.{ext}` */
  filename?: string | null;
  filenameHint?: string | null;
  /** extension for the generated filename */
  ext: string;
  language?: string | null;
  label?: string | null;
  ref?: string | null;
  metadata?: Metadata | null;
  /** the media's original (its first source) */
  original?: boolean;
  /** a key, task or automation id */
  createdBy: string | null;
  /** default: now; the engine passes its database-clock time */
  created?: string;
}

/** The blob key of a file stored under its own id: project / file id (never user-given names). */
export function fileBlobKey(projectId: string, fileId: string): string {
  return `${projectId}/${fileId}`;
}

export function newFileRow(f: NewFile): FileRow {
  const id = f.id ?? newId('file');
  const folder = sanitizeFolder(f.folder);
  let filename = sanitizeFilename(f.filename) ?? sanitizeFilename(f.filenameHint) ?? `${id}.${f.ext}`;
  // a given name that would take over another file's by-id URL: this file gets its own id's name instead
  if (idShapedPathProblem(joinPath(folder, filename), id)) filename = `${id}.${f.ext}`;
  const ts = f.created ?? now();
  return {
    id,
    project_id: f.projectId,
    media_id: f.mediaId,
    object: f.object,
    kind: f.kind,
    type: f.type,
    ...factColumns(f.facts ?? {}),
    filesize: f.filesize,
    language: f.language ?? null,
    label: f.label ?? null,
    ref: f.ref ?? null,
    folder,
    filename,
    path: joinPath(folder, filename),
    placeholder: null,
    background: null,
    metadata: f.metadata ? JSON.stringify(f.metadata) : null,
    original: f.original ? 1 : 0,
    created_by: f.createdBy,
    blob_key: f.blobKey ?? fileBlobKey(f.projectId, id),
    status: 'ready',
    created: ts,
    updated: ts,
  };
}
