import { AppError } from '../../lib/errors.js';
import { type IdPrefix, isId } from '../../lib/ids.js';

const NAMES: Partial<Record<IdPrefix, string>> = {
  file: 'file',
  med: 'media',
  task: 'task',
  auto: 'automation',
  evt: 'event',
  we: 'webhook endpoint',
  whd: 'webhook delivery',
};

/** Ids of the wrong shape are a client mistake worth naming, not a lookup. */
export function requireId(prefix: IdPrefix, id: string): string {
  if (!isId(prefix, id)) {
    throw new AppError(
      'request_invalid',
      `"${id.slice(0, 80)}" is not a ${NAMES[prefix] ?? prefix} id (expected ${prefix}_…).`,
    );
  }
  return id;
}
