import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { vi } from 'vitest';
import type { Limits } from '../../src/config.js';
import type { RunnerContext } from '../../src/runners/runner.js';
import type { FileRow } from '../../src/store/media.repository.js';

export const testLimits: Limits = {
  bodyBytes: 1024 * 1024,
  ingestBytes: 1024 ** 3,
  ingestTimeoutMs: 60_000,
  ingestIdleMs: 30_000,
  maxRedirects: 5,
  uploadBytes: 1024 ** 3,
  uploadTtlSeconds: 3600,
  maxPixels: 8192 * 8192,
  maxDurationSeconds: 4 * 3600,
  ffmpegStallMs: 30_000,
};

export const DELIVERY = 'https://delivery.test/prj_test';

function fileRow(localPath: string): FileRow {
  const now = new Date().toISOString();
  return {
    id: 'file_input0000000001',
    project_id: 'prj_test',
    media_id: 'med_test000000000001',
    object: 'source',
    kind: 'video',
    type: 'application/octet-stream',
    codec: null,
    container: null,
    width: null,
    height: null,
    orientation: null,
    rotation: null,
    transparency: null,
    animated: null,
    frames: null,
    duration: null,
    fps: null,
    filesize: 0,
    bitrate: null,
    language: null,
    label: null,
    ref: 'original',
    folder: null,
    filename: localPath.split('/').pop() ?? null,
    path: 'input',
    placeholder: null,
    background: null,
    metadata: null,
    original: 1,
    created_by: null,
    blob_key: null,
    status: 'ready',
    created: now,
    updated: now,
  };
}

export interface TestContext {
  ctx: RunnerContext;
  progress: ReturnType<typeof vi.fn<(percent: number, eta?: number | null) => void>>;
  abort: AbortController;
}

let seq = 0;

/** A RunnerContext as the engine would build it: its own work dir inside `root`, a live signal. */
export function makeContext(
  root: string,
  kind: string,
  inputPath: string | null,
  options: Record<string, unknown> = {},
  limits: Partial<Limits> = {},
): TestContext {
  const abort = new AbortController();
  const progress = vi.fn<(percent: number, eta?: number | null) => void>();
  seq += 1;
  const ctx: RunnerContext = {
    task: {
      id: `task_test${String(seq).padStart(12, '0')}`,
      projectId: 'prj_test',
      kind,
      options,
      mediaId: 'med_test000000000001',
      attempt: 1,
    },
    input: inputPath ? { file: fileRow(inputPath), localPath: inputPath } : undefined,
    workDir: mkdtempSync(join(root, `work-${kind}-`)),
    signal: abort.signal,
    progress,
    limits: { ...testLimits, ...limits },
    urlFor: (folder, filename) => `${DELIVERY}/${folder ? `${folder}/` : ''}${filename}`,
  };
  return { ctx, progress, abort };
}

/** The single output of a one-output kind. */
export function only<T>(list: T[]): T {
  if (list.length !== 1) throw new Error(`expected one output, got ${list.length}`);
  return list[0];
}
