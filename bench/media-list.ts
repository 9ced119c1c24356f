// GET /media at 100k media (docs/webapp.md, Media list filters): 100,000 media with their originals written
// straight into a SQLite store, then pages through the API (inject: routing, validation, the query, the
// files of the page, serialization): the first page, each filter, a `q` search, and keyset pages deep in
// the library; the baseline is the same deep page by page number (OFFSET). Target: keyset pages and
// kind/folder/date-filtered pages under 50 ms; a `q` search is a scan of the library (flagged when over). BENCH_MEDIA_LIST_N changes the number of media, BENCH_MEDIA_LIST_RUNS the
// repeats per measurement (median reported).
// `node bin/run-ts.js bench/media-list.ts`, or `BENCH_ONLY=media-list npm run bench`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createContext } from '../src/app-context.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { seedLibrary } from '../test/helpers/library.js';
import { fmt, median, printTable, type SuiteResult } from './lib.js';

const N = Number(process.env.BENCH_MEDIA_LIST_N ?? 100_000);
const RUNS = Number(process.env.BENCH_MEDIA_LIST_RUNS ?? 15);
const KEY = 'mediary_bench_key_0123456789abcdef';
const TARGET_MS = 50;

export async function benchMediaList(): Promise<SuiteResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-bench-media-'));
  const config = loadConfig({
    MEDIARY_DATA_DIR: dataDir,
    MEDIARY_INITIAL_API_KEY: KEY,
    MEDIARY_LOG_LEVEL: 'silent',
    MEDIARY_WORKER_CONCURRENCY: '0',
  });
  const ctx = await createContext(config);
  const app = await buildApp(ctx, { logger: false });
  try {
    await ctx.projects.bootstrap(KEY);
    const auth = (await ctx.projects.authenticate(KEY))!;
    const t0 = performance.now();
    const seeded = await seedLibrary(ctx, auth.projectId, N, (i) =>
      i === Math.floor(N / 2) ? { title: 'The needle in the haystack' } : {},
    );
    process.stdout.write(`seeded ${fmt(N)} media in ${fmt(performance.now() - t0)} ms\n`);
    if (process.env.BENCH_EXTRA_SQL) ctx.store.sqlite?.exec(process.env.BENCH_EXTRA_SQL);
    ctx.store.sqlite?.exec('analyze');

    // the media ~90% of the way down the newest-first list, and the one a video page deep in ends at
    const byAge = [...seeded].sort((a, b) =>
      a.media.created === b.media.created
        ? a.media.id < b.media.id
          ? -1
          : 1
        : a.media.created < b.media.created
          ? -1
          : 1,
    );
    const deep = byAge[Math.floor(N * 0.1)].media.id;
    const deepVideo = byAge.filter((s) => s.original.kind === 'video')[Math.floor(N * 0.03)].media.id;

    const get = async (url: string) => {
      const start = performance.now();
      const res = await app.inject({
        url,
        headers: { authorization: `Bearer ${KEY}`, 'accept-version': '2025-08-20' },
      });
      const ms = performance.now() - start;
      if (res.statusCode !== 200) throw new Error(`${url} → ${res.statusCode}: ${res.body.slice(0, 300)}`);
      return { ms, count: (JSON.parse(res.body) as unknown[]).length };
    };
    const measure = async (url: string) => {
      await get(url);
      const times: number[] = [];
      let count = 0;
      for (let i = 0; i < RUNS; i++) {
        const r = await get(url);
        times.push(r.ms);
        count = r.count;
      }
      return { ms: median(times), count };
    };

    const deepPage = Math.floor((N * 0.9) / 50);
    const cases: [string, string, boolean][] = [
      ['first page (count over all)', '/media?limit=50', false],
      ['keyset page 90% deep', `/media?limit=50&after=${deep}`, true],
      ['kind=video, first page', '/media?limit=50&kind=video', false],
      ['kind=video, keyset deep', `/media?limit=50&kind=video&after=${deepVideo}`, true],
      ['folder=a/ (prefix), keyset deep', `/media?limit=50&folder=a%2F&after=${deep}`, true],
      [
        'created_after + before, keyset',
        `/media?limit=50&created_after=2025-01-01T00:10:00Z&after=${deep}`,
        true,
      ],
      [
        'q=needle, keyset (one hit: full scan)',
        `/media?limit=50&q=needle&after=${byAge[N - 1].media.id}`,
        true,
      ],
      ['q=file-9 (many hits), keyset', `/media?limit=50&q=file-9&after=${deep}`, true],
      ['baseline: page-number page 90% deep', `/media?limit=50&page=${deepPage}`, false],
    ];
    const rows: string[][] = [];
    const summary: string[][] = [];
    let keysetBaseline = 0;
    for (const [name, url, keyset] of cases) {
      const r = await measure(url);
      const ok = !keyset || r.ms < TARGET_MS;
      rows.push([
        name,
        `${fmt(r.ms, 1)} ms`,
        String(r.count),
        keyset ? (ok ? 'ok' : `over ${TARGET_MS} ms`) : '',
      ]);
      if (name.startsWith('keyset page 90%')) keysetBaseline = r.ms;
      if (name.startsWith('baseline')) {
        summary.push([
          `GET /media 90% deep of ${fmt(N)} (keyset vs page number)`,
          `${fmt(keysetBaseline, 1)} ms`,
          `${fmt(r.ms, 1)} ms`,
          `${fmt(keysetBaseline / r.ms, 2)}×`,
        ]);
      }
    }
    printTable(['GET /media, 50 per page', 'median', 'items', `keyset < ${TARGET_MS} ms`], rows);
    return { summary, rows };
  } finally {
    await app.close();
    await ctx.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchMediaList();
