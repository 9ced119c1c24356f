// GET /media library filters (docs/webapp.md): q (with % and _ taken literally), kind, folder (exact and
// prefix), created_after/created_before, and keyset pages by `after` that neither repeat nor skip, with
// links.next carrying the cursor in both API shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthContext } from '../../src/services/projects.service.js';
import { startTestApp, type TestApp, testDatabases } from '../helpers/app.js';
import { BASE_TIME, FOLDERS, KINDS, type Seeded, seedLibrary } from '../helpers/library.js';

const N = 2000;

describe.each(testDatabases())('GET /media filters (%s)', (db) => {
  let t: TestApp;
  let auth: AuthContext;
  let lib: Seeded[];
  const bare = { 'accept-version': '2025-08-20' };
  const envelope = { 'accept-version': '2025-07-01' };

  beforeAll(async () => {
    t = await startTestApp({ db });
    auth = (await t.ctx.projects.authenticate(t.key))!;
    lib = await seedLibrary(t.ctx, auth.projectId, N, (i) => {
      if (i === 5) return { title: '100% Real', alt: 'an ALT text' };
      if (i === 6) return { title: '1000 real' };
      if (i === 7) return { title: 'a_b' };
      if (i === 8) return { title: 'axb' };
      if (i === 9) return { metadata: JSON.stringify({ camera: 'Leica Q2' }) };
      if (i === 11) return { title: 'back\\slash' };
      return {};
    });
    // another project's media never show
    const other = await t.ctx.projects.createProject(`other-${db}`);
    await seedLibrary(t.ctx, other.id, 50);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  async function ids(query: string): Promise<string[]> {
    const res = await t.request(`/media?limit=100&${query}`, { headers: bare });
    expect(res.status, res.text).toBe(200);
    return (res.json as { id: string }[]).map((m) => m.id);
  }

  /** Every id the filter matches, following links.next (envelope) from the first page. */
  async function walk(query: string, limit = 37): Promise<{ ids: string[]; pages: number }> {
    const out: string[] = [];
    let url: string | null = `/media?limit=${limit}${query ? `&${query}` : ''}`;
    let pages = 0;
    while (url) {
      const res = await t.request(url, { headers: envelope });
      expect(res.status, res.text).toBe(200);
      out.push(...(res.json.data as { id: string }[]).map((m) => m.id));
      pages++;
      const next = res.json.links.next as string | null;
      url = next ? next.replace('https://api.test.local', '') : null;
      if (pages > 200) throw new Error('runaway');
    }
    return { ids: out, pages };
  }

  const idsOf = (pred: (s: Seeded) => boolean) => lib.filter(pred).map((s) => s.media.id);
  const sorted = (a: string[]) => [...a].sort();

  it('q: title, alt, metadata and the filename, case-insensitive; % _ and \\ literal', async () => {
    expect(await ids('q=100%25')).toEqual([lib[5].media.id]);
    expect(sorted(await ids('q=real'))).toEqual(sorted([lib[5].media.id, lib[6].media.id]));
    expect(await ids('q=alt%20TEXT')).toEqual([lib[5].media.id]);
    expect(await ids('q=a_b')).toEqual([lib[7].media.id]);
    expect(await ids('q=leica')).toEqual([lib[9].media.id]);
    expect(await ids('q=back%5Cslash')).toEqual([lib[11].media.id]);
    expect(await ids('q=FILE-1234.')).toEqual([lib[1234].media.id]);
    expect(await ids('q=%25')).toEqual([lib[5].media.id]);
    expect(await ids('q=_')).toEqual([lib[7].media.id]);
    expect(await ids('q=nothing-like-this')).toEqual([]);
  });

  it('kind, folder (exact, and prefix with a trailing /), and both together', async () => {
    for (const kind of KINDS) {
      const { ids: got } = await walk(`kind=${kind}`, 100);
      expect(sorted(got)).toEqual(sorted(idsOf((s) => s.original.kind === kind)));
    }
    const exact = await walk('folder=a', 100);
    expect(sorted(exact.ids)).toEqual(sorted(idsOf((s) => FOLDERS[s.i % 5] === 'a')));
    const under = await walk(`folder=${encodeURIComponent('a/')}`, 100);
    expect(sorted(under.ids)).toEqual(sorted(idsOf((s) => ['a', 'a/b'].includes(FOLDERS[s.i % 5] ?? ''))));
    // x_y: the _ is not a wildcard in a prefix either
    const xy = await walk(`folder=${encodeURIComponent('x_y/')}`, 100);
    expect(xy.ids).toHaveLength(N / 5);
    const both = await walk(`folder=${encodeURIComponent('a/b')}&kind=audio`, 100);
    expect(sorted(both.ids)).toEqual(
      sorted(idsOf((s) => FOLDERS[s.i % 5] === 'a/b' && s.original.kind === 'audio')),
    );
  });

  it('created_after and created_before (exclusive), as dates or date-times; a bad date is a 400', async () => {
    const at = (i: number) => new Date(BASE_TIME + Math.floor(i / 3) * 1000).toISOString();
    const got = await walk(`created_after=${at(29)}&created_before=${at(60)}`, 100);
    expect(sorted(got.ids)).toEqual(sorted(idsOf((s) => s.i >= 30 && s.i < 60)));
    expect(await ids('created_before=2025-01-01')).toEqual([]);
    expect((await walk('created_after=2024-12-31', 100)).ids).toHaveLength(N);
    const bad = await t.request('/media?created_after=yesterday', { headers: bare });
    expect(bad.status).toBe(400);
    const badKind = await t.request('/media?kind=document', { headers: bare });
    expect(badKind.status).toBe(400);
  });

  it('keyset pages by `after` neither repeat nor skip, and match the page-number order', async () => {
    const keyset = await walk('', 37);
    expect(keyset.ids).toHaveLength(N);
    expect(new Set(keyset.ids).size).toBe(N);
    expect(keyset.pages).toBe(Math.ceil(N / 37));
    const byPage: string[] = [];
    for (let page = 1; page <= N / 100; page++) {
      const res = await t.request(`/media?limit=100&page=${page}`, { headers: bare });
      byPage.push(...(res.json as { id: string }[]).map((m) => m.id));
    }
    expect(keyset.ids).toEqual(byPage);
    // with a filter too: small pages and large pages see the same sequence
    const video = await walk('kind=video', 23);
    const videoLarge = await walk('kind=video', 100);
    expect(video.ids).toEqual(videoLarge.ids);
    expect(sorted(video.ids)).toEqual(sorted(idsOf((s) => s.original.kind === 'video')));
  });

  it('links: a first page without `page` links on by `after`; a keyset page counts no total; page=N keeps page links', async () => {
    const first = await t.request('/media?limit=10', { headers: envelope });
    expect(first.json.meta.total).toBe(N);
    const next = new URL(first.json.links.next);
    expect(next.searchParams.get('after')).toBe(first.json.data[9].id);
    expect(next.searchParams.get('page')).toBeNull();

    const second = await t.request(`/media?limit=10&after=${first.json.data[9].id}`, { headers: envelope });
    expect(second.status).toBe(200);
    expect(second.json.meta.total).toBe(10);
    expect(second.json.links.prev).toBeNull();
    expect(new URL(second.json.links.next).searchParams.get('after')).toBe(second.json.data[9].id);
    expect(second.headers['has-more']).toBe('true');

    const paged = await t.request('/media?limit=10&page=1', { headers: envelope });
    expect(paged.json.links.next).toContain('page=2');

    // bare: the cursor is in the Link header
    const bareFirst = await t.request('/media?limit=10&kind=image', { headers: bare });
    expect(String(bareFirst.headers.link)).toMatch(/after=med_[A-Za-z0-9]+[^>]*>; rel="next"/);

    // the last keyset page has no next
    const all = await walk('q=Title%2019', 100);
    expect(all.pages).toBe(1);

    // a filtered count stops at 1,000; the links still go on past it
    const capped = await t.request('/media?limit=100&page=10&q=file-', { headers: envelope });
    expect(capped.json.meta.total).toBe(1000);
    expect(capped.json.data).toHaveLength(100);
    expect(capped.json.links.next).toContain('page=11');
    expect((await walk('q=file-', 100)).ids).toHaveLength(N);

    const unknown = await t.request('/media?after=med_unknown', { headers: bare });
    expect(unknown.status).toBe(404);
    const notMedia = await t.request('/media?after=file_abc', { headers: bare });
    expect(notMedia.status).toBe(400);
  });
});
