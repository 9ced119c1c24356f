// Helpers for HLS package tests: run an adaptive_video task on an uploaded source, read a playlist's URIs.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { DeliveryTestApp } from './delivery.js';

/** URIs of a playlist: non-tag lines and URI="…" attributes. */
export function playlistUris(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line) continue;
    if (line.startsWith('#')) for (const m of line.matchAll(/URI="([^"]+)"/g)) out.push(m[1]);
    else out.push(line);
  }
  return out;
}

export interface HlsFixture {
  t: DeliveryTestApp;
  // biome-ignore lint/suspicious/noExplicitAny: wire JSON
  file: any;
  mediaId: string;
}

/** Uploads clip.mp4 and runs an adaptive_video task on it; the package's File. */
export async function makePackage(
  t: DeliveryTestApp,
  source: string,
  options: Record<string, unknown> = {},
): Promise<HlsFixture> {
  const up = await t.send(`/${t.projectId}/src/${source.split('/').pop()}`, {
    method: 'PUT',
    body: readFileSync(source),
    auth: true,
    headers: { 'accept-version': '2025-08-20' },
  });
  expect(up.status).toBe(201);
  const input = up.json;
  const created = await t.request('/tasks', {
    method: 'POST',
    headers: { 'accept-version': '2025-08-20' },
    body: { kind: 'adaptive_video', file_id: input.id, speed: 'fastest', segment_duration: 2, ...options },
  });
  expect(created.status, created.text).toBe(201);
  await t.ctx.createWorker().runUntilIdle();
  const task = await t.request(`/tasks/${created.json.id}`, { headers: { 'accept-version': '2025-08-20' } });
  expect(task.json.status, JSON.stringify(task.json.error)).toBe('completed');
  return { t, file: task.json.output, mediaId: input.media_id };
}
