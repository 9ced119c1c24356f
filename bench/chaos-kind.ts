// The task kind `npm run chaos` queues: waits a little (so kills land mid-run), then writes a tiny note.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { TaskKindDefinition } from '../src/runners/runner.js';

export function countKind(pause: () => Promise<unknown> = async () => {}): TaskKindDefinition {
  return {
    kind: 'count',
    accepts: ['image', 'video', 'audio'],
    options: Type.Object({}, { additionalProperties: false }),
    description: 'chaos kind: a short pause, then a note',
    run: async (ctx) => {
      await pause();
      const path = join(ctx.workDir, 'note.txt');
      await writeFile(path, `${ctx.task.id} ${process.pid}\n`);
      return {
        outputs: [{ localPath: path, object: 'intelligence', kind: 'note', type: 'text/plain', ext: 'txt' }],
      };
    },
  };
}
