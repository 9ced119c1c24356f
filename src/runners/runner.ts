// The contract between the task engine (worker/) and one task kind (runners/*.runner.ts).
// Adding a kind is one new runner file plus one line in runners/registry.ts (STYLE habit 8).
import type { TObject } from '@sinclair/typebox';
import type { Limits } from '../config.js';
import type { ProbeResult } from '../media/probe.js';

export type InputKind = 'video' | 'image' | 'audio';

/** What a runner knows of its input file (a stored files row has these and more). */
export interface InputFile {
  id: string;
  object: string;
  kind: string;
  /** MIME type */
  type: string;
  filename: string | null;
}

export interface RunnerTask {
  id: string;
  projectId: string;
  kind: string;
  /** merged task options as submitted (flat keys + `options` object), validated by the kind's schema */
  options: Record<string, unknown>;
  /** the media that outputs are attached to */
  mediaId: string | null;
  attempt: number;
}

export interface OutputSpec {
  /** a finished local file; the engine stores it (blob key derived from task id + index) */
  localPath: string;
  object: 'source' | 'track' | 'intelligence';
  /** video | image | audio | thumbnails | subtitles | chapters | speech | nsfw | description | ... */
  kind: string;
  /** MIME type, with codecs where known */
  type: string;
  /** facts about the output (width, height, duration, codec, ...), from the media layer's probe */
  facts?: Partial<ProbeResult>;
  ref?: string | null;
  folder?: string | null;
  /** defaults to `${fileId}.${ext}` */
  filename?: string | null;
  ext: string;
  language?: string | null;
  /** the output the task's `output` field shows; exactly one per run (the first if none is marked) */
  primary?: boolean;
  /**
   * Further files of a package whose `localPath` is its entry point (an HLS master playlist and its media
   * playlists and segments). Stored beside the file's blob (blobs/ partsKey) and deleted with it; `name`
   * is the path relative to the entry point ("720p/seg_00001.m4s"); the file's filesize counts them all.
   */
  parts?: { localPath: string; name: string; type: string }[];
}

export interface RunnerContext {
  task: RunnerTask;
  /** the input file and a local copy of its bytes (absent for kinds with no file input, e.g. ingest) */
  input?: { file: InputFile; localPath: string };
  /** a private temp dir for this attempt; the engine removes it afterwards */
  workDir: string;
  /** aborted on cancel or when the lease is lost; pass it to runFfmpeg */
  signal: AbortSignal;
  /** 0-100 and seconds remaining; throttled and persisted by the engine */
  progress(percent: number, etaSeconds?: number | null): void;
  limits: Limits;
  /** tasks this worker may run at once (its slots); encoders size their threads by it. Absent: 1 */
  slots?: number;
  /** the public URL a file will have at folder/filename in this project (e.g. a VTT pointing at a sprite) */
  urlFor(folder: string | null, filename: string): string;
  /**
   * The newest ready output of kind `kind` (e.g. a `speech` transcript) in the input's media, as a local
   * file, so subtitles and chapters reuse a finished recognition instead of running it again. Null if none.
   */
  earlierOutput?(kind: string): Promise<{ localPath: string; cleanup(): Promise<void> } | null>;
  /**
   * For kinds that look at their input as the API shows it (conditions, http): `{file, media, task}` wire
   * objects of the input file, its media and this task.
   */
  subject?: Record<string, unknown>;
  /** For http steps: POSTs JSON under the SSRF rules, signed with the project's webhook secret. */
  post?(
    url: string,
    opts: { method: string; headers: Record<string, string>; body: string },
  ): Promise<PostResult>;
}

/** What an http step's request came to. */
export interface PostResult {
  statusCode: number | null;
  /** null on a 2xx */
  error: string | null;
  /** true when retrying cannot help (the URL is invalid or forbidden) */
  permanent: boolean;
}

export interface RunResult {
  outputs: OutputSpec[];
  /** for control kinds (conditions) */
  results?: Record<string, unknown>;
}

export interface TaskKindDefinition {
  kind: string;
  /** input media kinds the task accepts; 'url' for ingest; 'none' for kinds that take no file */
  accepts: InputKind[] | 'url' | 'none';
  /** what the run needs beyond the input's bytes: the wire view of its input, a signed POST */
  uses?: ('subject' | 'post')[];
  /** option schema (TypeBox) used to validate POST /tasks and to generate GET /tasks-config */
  options: TObject;
  /** output formats, for tasks-config */
  formats?: string[];
  /** a short description for tasks-config and docs */
  description: string;
  run(ctx: RunnerContext): Promise<RunResult>;
  /**
   * Whether this server can run the kind (intelligence kinds need a configured provider) and which engine
   * would. Absent: always available. Checked when a task is created (400 naming the setting) and listed in
   * /tasks-config.
   */
  availability?(): KindAvailability;
}

export interface KindAvailability {
  available: boolean;
  /** the engine(s) that would run it, e.g. "pocketsphinx" or "openai-compatible (llava)" */
  provider: string | null;
  /** when not available: what to configure */
  reason?: string;
}

/** A failure that retrying cannot fix (bad media, impossible options): the task fails at once. */
export class PermanentTaskError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentTaskError';
  }
}
