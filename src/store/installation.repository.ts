import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Installation-wide facts (one row per name) that every node must agree on. */
export class InstallationRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(name: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('installation')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.value;
  }

  /** Records the value unless one is there already (two first nodes at once: one wins); returns the stored one. */
  async setOnce(name: string, value: string, created: string): Promise<string> {
    await this.db
      .insertInto('installation')
      .values({ name, value, created })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await this.get(name)) ?? value;
  }

  /** One sealed value, if any, to tell whether a secret recorded for the first time is the one in use. */
  async anySealed(): Promise<string | undefined> {
    const row = await this.db.selectFrom('api_keys').select('key_enc').limit(1).executeTakeFirst();
    return row?.key_enc ?? undefined;
  }
}
