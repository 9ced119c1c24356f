// A library of media written straight into the store (no bytes): for the GET /media filter tests and
// bench/media-list.ts. Media i: kind video/image/audio by i % 3, the original's folder by i % 5, a title on
// every tenth, created one second apart by threes (so ties on `created` are broken by id).
import type { AppContext } from '../../src/app-context.js';
import { newId } from '../../src/lib/ids.js';
import { newFileRow } from '../../src/services/file-rows.js';
import type { FileRow, MediaRow } from '../../src/store/media.repository.js';

export const KINDS = ['video', 'image', 'audio'] as const;
export const FOLDERS = ['a', 'a/b', 'ab', 'x_y', null] as const;
const EXT = { video: 'mp4', image: 'png', audio: 'mp3' } as const;
const TYPE = { video: 'video/mp4', image: 'image/png', audio: 'audio/mpeg' } as const;
export const BASE_TIME = Date.parse('2025-01-01T00:00:00.000Z');

export interface Seeded {
  media: MediaRow;
  original: FileRow;
  i: number;
}

export async function seedLibrary(
  ctx: AppContext,
  projectId: string,
  n: number,
  extra: (i: number) => Partial<MediaRow> = () => ({}),
): Promise<Seeded[]> {
  const out: Seeded[] = [];
  for (let i = 0; i < n; i++) {
    const kind = KINDS[i % 3];
    const created = new Date(BASE_TIME + Math.floor(i / 3) * 1000).toISOString();
    const media: MediaRow = {
      id: newId('med'),
      project_id: projectId,
      title: i % 10 === 0 ? `Title ${i}` : null,
      alt: null,
      metadata: null,
      created_by: 'seed',
      announced: created,
      created,
      updated: created,
      ...extra(i),
    };
    const original = newFileRow({
      projectId,
      mediaId: media.id,
      object: 'source',
      kind,
      type: TYPE[kind],
      filesize: 1000 + i,
      folder: FOLDERS[i % 5],
      filename: `file-${i}.${EXT[kind]}`,
      ext: EXT[kind],
      ref: 'original',
      original: true,
      createdBy: 'seed',
      created,
    });
    out.push({ media, original, i });
  }
  const db = ctx.store.db;
  await db.transaction().execute(async (trx) => {
    for (let k = 0; k < out.length; k += 200) {
      const chunk = out.slice(k, k + 200);
      await trx
        .insertInto('media')
        .values(chunk.map((s) => s.media))
        .execute();
      await trx
        .insertInto('files')
        .values(chunk.map((s) => s.original))
        .execute();
    }
  });
  return out;
}
