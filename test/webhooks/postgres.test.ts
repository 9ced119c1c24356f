// Two dispatchers (two pools, as two processes would have) on one PostgreSQL schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../../src/lib/ids.js';
import { openStore } from '../../src/store/db.js';
import { type Receiver, startReceiver, type WebhookEnv, webhookEnv } from './helpers.js';

// the run's own database (test/global-setup.ts), dropped with this file's schema after the run; without
// MEDIARY_TEST_DATABASE_URL this file is skipped like every other PostgreSQL test
const base = process.env.MEDIARY_TEST_DATABASE_URL;

async function reachable(): Promise<boolean> {
  if (!base) return false;
  const store = openStore(base);
  try {
    await store.pgPool!.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await store.close();
  }
}

const available = await reachable();
// asked for PostgreSQL and cannot have it: fail, never skip quietly
if (base && !available) throw new Error(`PostgreSQL is not reachable at ${base}`);

describe.skipIf(!available)('webhook dispatchers on PostgreSQL', () => {
  const schema = `wh_${randomBase62(10).toLowerCase()}`;
  let a: WebhookEnv;
  let b: WebhookEnv;
  let receiver: Receiver;

  beforeAll(async () => {
    const u = new URL(base!);
    u.searchParams.set('schema', schema);
    const env = { MEDIARY_DATABASE_URL: u.toString() };
    a = await webhookEnv({ env, keepDataDir: true });
    // same data dir: both "processes" share the server secret that seals the project's webhook secret
    b = await webhookEnv({ env, dataDir: a.dataDir });
    receiver = await startReceiver('http', async () => {
      // a little latency so both dispatchers have deliveries in flight at the same time
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 15));
      return 200;
    });
  });

  afterAll(async () => {
    await receiver?.close();
    await a?.close();
    await b?.close();
    // the schema goes with the run's database (test/global-setup.ts): dropping it here could break another
    // file's migration running at this moment
  });

  it('delivers each row exactly once', async () => {
    a.clock.now = Date.now();
    b.clock.now = a.clock.now;
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const row = await a.webhooks.enqueue({
        projectId: a.projectId,
        url: `${receiver.origin}/pg?i=${i}`,
        type: 'task.completed',
        payload: { i },
      });
      ids.push(row.id);
    }
    const da = a.dispatcher({ concurrency: 4 });
    const db = b.dispatcher({ concurrency: 4 });
    const [na, nb] = await Promise.all([da.runUntilIdle(), db.runUntilIdle()]);
    expect(na + nb).toBe(40);
    expect(na).toBeGreaterThan(0);
    expect(nb).toBeGreaterThan(0);

    const seen = receiver.received.map((r) => r.headers['webhook-id']);
    expect(seen).toHaveLength(40);
    expect(new Set(seen)).toEqual(new Set(ids));
    const rows = await a.ctx.store.db
      .selectFrom('webhook_deliveries')
      .select(['status', 'attempts'])
      .execute();
    expect(rows.every((r) => r.status === 'succeeded' && r.attempts === 1)).toBe(true);
    const attempts = await a.ctx.store.db
      .selectFrom('webhook_attempts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(attempts.n)).toBe(40);
  });

  it("wakes another process's dispatcher through NOTIFY", async () => {
    receiver.received.length = 0;
    a.clock.now = Date.now();
    b.clock.now = a.clock.now;
    const d = b.dispatcher({ pollMs: 600_000 });
    d.start();
    const send = (path: string) =>
      a.webhooks.enqueue({
        projectId: a.projectId,
        url: `${receiver.origin}${path}`,
        type: 'task.completed',
        payload: {},
      });
    await send('/one');
    await receiver.waitFor(1, 5_000);
    await send('/two');
    await receiver.waitFor(2, 5_000);
    await d.stop();
    expect(receiver.received.map((r) => r.url)).toEqual(['/one', '/two']);
  });
});
