// Hostile review 5.5 (leftovers): the completing chunk sent again while the first copy is still being
// assembled and ingested answered 409 "being assembled", where docs/delivery.md promises 202/200. A
// client whose connection dropped during the (slow) finish retries at once and must not be told
// "conflict". Now the repeat waits for the finish and answers 200 + the same File.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/app.js';
import { type DeliveryTestApp, startDeliveryTestApp, wav } from '../helpers/delivery.js';

describe.each(testDatabases())('a repeated completing chunk while the upload finishes (%s)', (db) => {
  let t: DeliveryTestApp;
  const v = { 'accept-version': '2025-08-20' };
  beforeAll(async () => {
    t = await startDeliveryTestApp({ db });
  });
  afterAll(async () => t?.close());

  it('both copies sent together: one 201, the other 200 with the same File (never 409)', async () => {
    for (let round = 0; round < 3; round++) {
      const body = wav(2_000_000, round + 1);
      const total = body.length;
      const half = Math.floor(total / 2);
      const path = `/${t.projectId}/race-${round}.wav`;
      const a = await t.send(path, {
        method: 'PUT',
        body: body.subarray(0, half),
        auth: true,
        headers: { 'content-range': `bytes 0-${half - 1}/${total}`, ...v },
      });
      expect(a.status).toBe(202);
      const last = () =>
        t.send(path, {
          method: 'PUT',
          body: body.subarray(half),
          auth: true,
          headers: { 'content-range': `bytes ${half}-${total - 1}/${total}`, ...v },
        });
      const [b, c] = await Promise.all([last(), last()]);
      expect([b.status, c.status].sort()).toEqual([200, 201]);
      expect(b.json.id).toBe(c.json.id);
    }
  }, 60_000);
});
