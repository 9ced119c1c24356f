import type { SelectQueryBuilder } from 'kysely';
import { invalid } from '../lib/errors.js';
import type { Database } from './schema.js';

export interface Page {
  page: number;
  limit: number;
}

/** The tables listed page by page; each has the created and id columns the order needs. */
type PagedTable =
  | 'media'
  | 'files'
  | 'tasks'
  | 'webhook_deliveries'
  | 'events'
  | 'automations'
  | 'webhook_endpoints';

/**
 * One page of a filtered list, newest first, and how many rows the filter matches in all. The id
 * breaks ties between rows created in the same millisecond, so pages neither repeat nor skip a row.
 */
export async function paginate<T extends PagedTable>(
  // biome-ignore lint/complexity/noBannedTypes: a query that selects nothing yet
  query: SelectQueryBuilder<Database, T, {}>,
  page: Page,
): Promise<{ rows: Database[T][]; total: number }> {
  // the routes' schemas bound both (http/schemas.ts); this keeps any other caller's numbers out of SQL too
  if (!Number.isSafeInteger(page.page) || page.page < 1 || page.page > 100_000)
    throw invalid('page must be an integer from 1 to 100000.');
  if (!Number.isSafeInteger(page.limit) || page.limit < 1 || page.limit > 1000)
    throw invalid('limit must be an integer from 1 to 1000.');
  const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await query
    .selectAll()
    .orderBy('created', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset((page.page - 1) * page.limit)
    .execute();
  // selectAll on one table is that table's row; Kysely cannot see it through the generic table name
  return { rows: rows as Database[T][], total: Number(total.n) };
}
