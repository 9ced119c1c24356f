// Each test run gets a PostgreSQL database of its own: created here, handed to the test files by rewriting
// MEDIARY_TEST_DATABASE_URL (workers start after global setup and inherit it), and dropped after the run.
// Inside it every test app still makes its own schema. Why a database and not a schema prefix: Kysely's
// migrator lists the tables of every schema in its database, and a schema dropped in the middle of that
// listing fails the migration with "schema does not exist". Runs that share a database would break each
// other's migrations whenever one of them cleans up; runs in separate databases never see each other's
// catalogs. For the same reason nothing is dropped while this run's files are still migrating.
//
// Databases of runs that died without their teardown are dropped by a later run once they are a day old
// (the start time is in the name).
//
// Temp files: the run gets one temp root, and TMPDIR points at it for the test files and everything they
// spawn, so fixtures, data dirs and scratch dirs that a test leaves behind (a failed test skips its
// cleanup; fixture dirs have none) go with the root after the run. Roots of dead runs go after a day.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const PREFIX = 'mediary_test_';
const STALE_MS = 24 * 3_600_000;

/** mediary_test_<start time, base-36 seconds>_<random> */
function runDatabaseName(now: number): string {
  return `${PREFIX}${Math.floor(now / 1000).toString(36)}_${randomBytes(4).toString('hex')}`;
}

function startedAt(name: string): number | null {
  const m = /^mediary_test_([0-9a-z]{1,10})_[0-9a-f]{8}$/.exec(name);
  return m ? Number.parseInt(m[1]!, 36) * 1000 : null;
}

async function connect(base: string): Promise<pg.Client> {
  const url = new URL(base);
  url.username ||= userInfo().username;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  await client.query(`drop database if exists "${name}" with (force)`);
}

const TEMP_PREFIX = 'mediary-test-run-';

/** A fresh temp root for this run; TMPDIR points at it until the teardown removes it. */
async function tempRoot(): Promise<() => Promise<void>> {
  const outer = tmpdir();
  for (const name of await readdir(outer).catch(() => [])) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const dir = join(outer, name);
    const st = await stat(dir).catch(() => null);
    if (st && Date.now() - st.mtimeMs > STALE_MS) await rm(dir, { recursive: true, force: true });
  }
  const root = await mkdtemp(join(outer, TEMP_PREFIX));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return async () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    await rm(root, { recursive: true, force: true });
  };
}

/** This run's PostgreSQL database, when MEDIARY_TEST_DATABASE_URL asks for PostgreSQL. */
async function runDatabase(): Promise<(() => Promise<void>) | undefined> {
  const base = process.env.MEDIARY_TEST_DATABASE_URL;
  if (!base) return undefined;
  const client = await connect(base);
  const name = runDatabaseName(Date.now());
  try {
    const { rows } = await client.query<{ datname: string }>(
      'select datname from pg_database where datname like $1',
      [`${PREFIX}%`],
    );
    for (const { datname } of rows) {
      const t = startedAt(datname);
      if (t !== null && Date.now() - t > STALE_MS) await dropDatabase(client, datname);
    }
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  const runUrl = new URL(base);
  runUrl.pathname = `/${name}`;
  process.env.MEDIARY_TEST_DATABASE_URL = runUrl.toString();

  return async () => {
    process.env.MEDIARY_TEST_DATABASE_URL = base;
    const admin = await connect(base);
    try {
      await dropDatabase(admin, name);
    } finally {
      await admin.end();
    }
  };
}

export async function setup(): Promise<() => Promise<void>> {
  const removeTemp = await tempRoot();
  let dropDb: (() => Promise<void>) | undefined;
  try {
    dropDb = await runDatabase();
  } catch (err) {
    await removeTemp();
    throw err;
  }
  return async () => {
    try {
      await dropDb?.();
    } finally {
      await removeTemp();
    }
  };
}
