// The sign-in throttle holds across processes: two contexts on one database (two API nodes) count the same
// failures, per account and per client address, on SQLite and PostgreSQL.
import { afterEach, describe, expect, it } from 'vitest';
import { type AppContext, createContext } from '../../src/app-context.js';
import { SignInThrottledError } from '../../src/services/accounts.service.js';
import { startTestApp, type TestApp, testDatabases } from '../helpers/app.js';

const PASSWORD = 'correct horse battery';

describe.each(testDatabases())('sign-in throttle across processes (%s)', (db) => {
  let t: TestApp;
  let other: AppContext;

  afterEach(async () => {
    await other?.close();
    await t?.close();
  });

  async function start() {
    t = await startTestApp({ db });
    other = await createContext(t.config);
    for (const email of ['a@example.com', 'b@example.com']) {
      const { token } = await t.ctx.accounts.createUser(undefined, email, 'member');
      await t.ctx.accounts.accept(token, PASSWORD);
    }
  }

  const attempt = (ctx: AppContext, email: string, password: string, ip: string) =>
    ctx.accounts.signIn(email, password, ip).then(
      () => 'ok' as const,
      (err) => (err instanceof SignInThrottledError ? ('throttled' as const) : (err.code as string)),
    );

  it('5 failures spread over two nodes lock the account on both, even for the right password', async () => {
    await start();
    const nodes = [t.ctx, other, t.ctx, other, t.ctx];
    for (const [i, ctx] of nodes.entries()) {
      expect(await attempt(ctx, 'a@example.com', 'wrong password', `10.0.0.${i}`)).toBe(
        'credentials_invalid',
      );
    }
    // node `other` saw only two of the five itself
    expect(await attempt(other, 'a@example.com', PASSWORD, '10.0.1.1')).toBe('throttled');
    expect(await attempt(t.ctx, 'a@example.com', PASSWORD, '10.0.1.2')).toBe('throttled');
    // another account is not held back
    expect(await attempt(other, 'b@example.com', PASSWORD, '10.0.1.3')).toBe('ok');
  });

  it('20 failures from one address over two nodes lock every account from it; a success clears its account', async () => {
    await start();
    expect(await attempt(other, 'b@example.com', 'wrong password', '10.9.9.9')).toBe('credentials_invalid');
    expect(await attempt(other, 'b@example.com', PASSWORD, '10.9.9.8')).toBe('ok');
    for (let i = 0; i < 20; i++) {
      const ctx = i % 2 ? other : t.ctx;
      // many accounts, so the per-account limit is not what stops it
      expect(await attempt(ctx, `nobody${i}@example.com`, 'wrong password', '10.2.2.2')).toBe(
        'credentials_invalid',
      );
    }
    expect(await attempt(other, 'b@example.com', PASSWORD, '10.2.2.2')).toBe('throttled');
    expect(await attempt(t.ctx, 'b@example.com', PASSWORD, '10.2.2.2')).toBe('throttled');
    expect(await attempt(t.ctx, 'b@example.com', PASSWORD, '10.2.2.3')).toBe('ok');
  }, 30_000);
});
