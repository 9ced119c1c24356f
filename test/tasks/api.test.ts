// The task API as a client sees it: creation and validation, the ingest kind, outputs and their naming,
// lifecycle actions, webhooks outbox rows, and inputs that must fail a task without harming the server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/app.js';
import { type Fixtures, type MediaServer, makeFixtures, startMediaServer } from '../helpers/fixtures.js';
import { startTaskApp, type TaskApp } from './helpers.js';
import { audioOnlyKind, flakyKind, gateKind, noteKind, type Recorder } from './kinds.js';

let fx: Fixtures;
let server: MediaServer;
beforeAll(async () => {
  fx = await makeFixtures();
  server = await startMediaServer({
    'clip.mp4': fx.mp4,
    'pixel.png': fx.png,
    'tone.mp3': fx.mp3,
    'truncated.mp4': fx.truncatedMp4,
    'random.mp4': fx.randomBin,
    'empty.mp4': fx.empty,
  });
});
afterAll(async () => {
  await server?.close();
});

describe.each(testDatabases())('tasks API (%s)', (db) => {
  let t: TaskApp;
  const rec: Recorder = { runs: [] };
  const gate = gateKind();
  beforeAll(async () => {
    t = await startTaskApp({
      db,
      kinds: [noteKind(rec), audioOnlyKind(), gate.def, flakyKind(1, true)],
      engine: { concurrency: 2 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });
  // one app for the file (a fresh one per test costs too much here): a test that fails midway leaves its
  // tasks queued or running (a gate never opened); cancelling them keeps the next test's runUntilIdle()
  // and counts to its own tasks
  afterEach(async () => {
    if (!t) return;
    for (const status of ['processing', 'pending']) {
      const left = await t.request('GET', `/tasks?status=${status}&limit=100`);
      for (const task of left.json ?? []) await t.request('POST', `/tasks/${task.id}/cancel`);
    }
  });

  async function ingestFile(name: string) {
    const res = await t.request('POST', '/files', { url: `${server.url}/${name}` });
    expect(res.status).toBe(201);
    return res.json as { id: string; media_id: string; url: string };
  }

  describe('ingest kind', () => {
    it('fetches a URL in the worker: 201 pending at once, then the stored file is the output', async () => {
      const created = await t.create({
        kind: 'ingest',
        url: `${server.url}/pixel.png`,
        folder: 'in/coming',
        filename: 'red.png',
      });
      expect(created).toMatchObject({
        object: 'task',
        kind: 'ingest',
        status: 'pending',
        progress: 0,
        input: { url: `${server.url}/pixel.png` },
        options: { folder: 'in/coming', filename: 'red.png' },
        output: null,
        error: null,
      });
      expect(created.id).toMatch(/^task_[A-Za-z0-9]{16}$/);
      expect(await t.engine.runUntilIdle()).toBe(1);

      const done = await t.task(created.id);
      expect(done.status).toBe('completed');
      expect(done.progress).toBe(100);
      expect(done.eta).toBeUndefined();
      expect(done.output).toMatchObject({
        object: 'source',
        kind: 'image',
        type: 'image/png',
        width: 64,
        height: 48,
        ref: 'original',
        original: true,
        folder: 'in/coming',
        filename: 'red.png',
      });
      expect(done.output.url).toMatch(/\/in\/coming\/red\.png$/);
      expect(done.input).toMatchObject({ id: done.output.id, kind: 'image', type: 'image/png' });
      const media = await t.request('GET', `/media/${done.output.media_id}`);
      expect(media.json.urls.original).toBe(done.output.url);
    });

    it('attaches to an existing media with media_id, and 404s for an unknown one at creation', async () => {
      const first = await ingestFile('pixel.png');
      const created = await t.create({
        kind: 'ingest',
        url: `${server.url}/tone.mp3`,
        media_id: first.media_id,
        ref: 'audio',
      });
      await t.engine.runUntilIdle();
      const done = await t.task(created.id);
      expect(done.output).toMatchObject({
        media_id: first.media_id,
        kind: 'audio',
        ref: 'audio',
        original: false,
      });
      const res = await t.request('POST', '/tasks', {
        kind: 'ingest',
        url: `${server.url}/tone.mp3`,
        media_id: 'med_nope',
      });
      expect(res.status).toBe(404);
    });

    it('takes a url, not a file_id', async () => {
      const file = await ingestFile('pixel.png');
      const res = await t.request('POST', '/tasks', { kind: 'ingest', file_id: file.id });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/url/);
    });
  });

  describe('validation', () => {
    it('400 for an unknown kind, listing the kinds', async () => {
      const res = await t.request('POST', '/tasks', { kind: 'teleport', url: `${server.url}/pixel.png` });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/Unknown task kind "teleport"/);
      expect(res.json.message).toMatch(/ingest/);
      expect(res.json.message).toMatch(/note/);
      const missing = await t.request('POST', '/tasks', { url: `${server.url}/pixel.png` });
      expect(missing.status).toBe(400);
      expect(missing.json.message).toMatch(/Missing "kind".*ingest/);
    });

    it('400 for an invalid option, naming it and the allowed values', async () => {
      const file = await ingestFile('pixel.png');
      const bad = await t.request('POST', '/tasks', { kind: 'note', file_id: file.id, format: 'pdf' });
      expect(bad.status).toBe(400);
      expect(bad.json.message).toBe(
        'Invalid option "format" for note tasks: "pdf" is not allowed; allowed values: txt, md.',
      );
      const range = await t.request('POST', '/tasks', {
        kind: 'note',
        file_id: file.id,
        options: { words: 500 },
      });
      expect(range.status).toBe(400);
      expect(range.json.message).toBe(
        'Invalid option "words" for note tasks: got 500; expected an integer from 1 to 100.',
      );
      const unknown = await t.request('POST', '/tasks', { kind: 'note', file_id: file.id, colour: 'red' });
      expect(unknown.status).toBe(400);
      expect(unknown.json.message).toMatch(
        /Unknown option "colour" for note tasks; the options are: format, words, ref/,
      );
      const conflict = await t.request('POST', '/tasks', {
        kind: 'note',
        file_id: file.id,
        words: 2,
        options: { words: 3 },
      });
      expect(conflict.status).toBe(400);
      expect(conflict.json.message).toMatch(/"words" is given both/);
      const notObject = await t.request('POST', '/tasks', { kind: 'note', file_id: file.id, options: [1] });
      expect(notObject.status).toBe(400);
    });

    it('400 for a kind that does not fit a known input, naming both', async () => {
      const image = await ingestFile('pixel.png');
      const res = await t.request('POST', '/tasks', { kind: 'listen', file_id: image.id });
      expect(res.status).toBe(400);
      expect(res.json.message).toBe(`A listen task needs an audio input; ${image.id} is an image file.`);
    });

    it('404 for an unknown file_id; 400 without an input, with both, or with a malformed id', async () => {
      expect(
        (await t.request('POST', '/tasks', { kind: 'note', file_id: 'file_doesnotexist1' })).status,
      ).toBe(404);
      const none = await t.request('POST', '/tasks', { kind: 'note' });
      expect(none.status).toBe(400);
      expect(none.json.message).toMatch(/needs an input: "file_id".*or "url"/);
      const file = await ingestFile('pixel.png');
      const both = await t.request('POST', '/tasks', {
        kind: 'note',
        file_id: file.id,
        url: `${server.url}/x`,
      });
      expect(both.status).toBe(400);
      expect((await t.request('POST', '/tasks', { kind: 'note', file_id: 'med_123' })).status).toBe(400);
    });

    it('400 for a url or webhook_url that can never be fetched', async () => {
      const ftp = await t.request('POST', '/tasks', { kind: 'ingest', url: 'ftp://example.com/a.mp4' });
      expect(ftp.status).toBe(400);
      expect(ftp.json.message).toMatch(/^url: .*scheme/);
      const hook = await t.request('POST', '/tasks', {
        kind: 'ingest',
        url: `${server.url}/pixel.png`,
        webhook_url: 'https://user:pw@example.com/hook',
      });
      expect(hook.status).toBe(400);
      expect(hook.json.message).toMatch(/^webhook_url: .*credentials/);
    });
  });

  describe('outputs', () => {
    it('names an output {file_id}.{ext} at the root, or in its folder; ref lands in media.urls', async () => {
      const file = await ingestFile('clip.mp4');
      const plain = await t.create({ kind: 'note', file_id: file.id });
      const foldered = await t.create({
        kind: 'note',
        file_id: file.id,
        options: { folder: 'notes', format: 'md', ref: 'summary' },
      });
      await t.engine.runUntilIdle();
      // a later task with the same ref
      const named = await t.create({ kind: 'note', file_id: file.id, filename: 'final.txt', ref: 'summary' });
      await t.engine.runUntilIdle();
      const [a, b, c] = [await t.task(plain.id), await t.task(foldered.id), await t.task(named.id)];
      expect(a.output.url).toMatch(
        new RegExp(`^https://cdn\\.test\\.local/prj_[A-Za-z0-9]+/${a.output.id}\\.txt$`),
      );
      expect(a.output).toMatchObject({
        filename: `${a.output.id}.txt`,
        media_id: file.media_id,
        object: 'intelligence',
        kind: 'note',
      });
      expect(a.output.ref).toBeUndefined();
      expect(b.output).toMatchObject({ folder: 'notes', filename: `${b.output.id}.md`, ref: 'summary' });
      expect(b.options).toEqual({ folder: 'notes', format: 'md', ref: 'summary' });
      expect(c.output).toMatchObject({ filename: 'final.txt', ref: 'summary' });
      expect(a.input).toMatchObject({
        id: file.id,
        kind: 'video',
        type: expect.stringMatching(/^video\/mp4/),
      });
      const media = await t.request('GET', `/media/${file.media_id}`);
      // the newer file with the same ref wins
      expect(media.json.urls.summary).toBe(c.output.url);
      expect(media.json.files.map((f: { id: string }) => f.id)).toEqual(
        expect.arrayContaining([file.id, a.output.id, b.output.id, c.output.id]),
      );
    });

    it('runs a URL input through ingest first; the original becomes the input', async () => {
      const created = await t.create({ kind: 'note', url: `${server.url}/tone.mp3`, ref: 'notes' });
      expect(created.input).toEqual({ url: `${server.url}/tone.mp3` });
      await t.engine.runUntilIdle();
      const done = await t.task(created.id);
      expect(done.status).toBe('completed');
      expect(done.input).toMatchObject({ kind: 'audio', ref: 'original' });
      expect(done.output.media_id).toBe(done.input.media_id);
      expect(done.output.ref).toBe('notes');
      const media = await t.request('GET', `/media/${done.output.media_id}`);
      expect(Object.keys(media.json.urls).sort()).toEqual(['notes', 'original']);
    });
  });

  describe('inputs that must fail the task, not the server', () => {
    it.each([
      ['truncated.mp4', /corrupt|truncated|invalid|moov|could not be read/i],
      ['random.mp4', /not a supported video, image or audio file/],
      ['empty.mp4', /empty|not a supported/i],
    ])('%s by url fails with a clear error', async (name, message) => {
      const ingest = await t.create({ kind: 'ingest', url: `${server.url}/${name}` });
      const note = await t.create({ kind: 'note', url: `${server.url}/${name}` });
      await t.engine.runUntilIdle();
      for (const id of [ingest.id, note.id]) {
        const done = await t.task(id);
        expect(done.status).toBe('failed');
        expect(done.error).toMatch(message);
        expect(done.error).not.toMatch(/\/tmp\/|\/work\//);
        expect(done.output).toBeNull();
      }
      expect((await t.request('GET', '/tasks?limit=1')).status).toBe(200);
    });

    it('a kind that does not fit a URL input fails with a clear error', async () => {
      const created = await t.create({ kind: 'listen', url: `${server.url}/pixel.png` });
      await t.engine.runUntilIdle();
      const done = await t.task(created.id);
      expect(done.status).toBe('failed');
      expect(done.error).toBe('A listen task needs an audio input, but the URL gave an image (image/png).');
    });

    it('a URL that answers 404 fails without retrying', async () => {
      const created = await t.create({ kind: 'ingest', url: `${server.url}/missing.mp4` });
      expect(await t.engine.runUntilIdle()).toBe(1);
      const done = await t.task(created.id);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/404/);
    });
  });

  describe('with the media kinds', () => {
    it('audio from an image: 400 for a file_id, a clear failure for a url', async () => {
      const image = await ingestFile('pixel.png');
      const res = await t.request('POST', '/tasks', { kind: 'audio', file_id: image.id });
      expect(res.status).toBe(400);
      expect(res.json.message).toBe(
        `An audio task needs an audio or a video input; ${image.id} is an image file.`,
      );
      const created = await t.create({ kind: 'audio', url: `${server.url}/pixel.png` });
      await t.engine.runUntilIdle();
      const done = await t.task(created.id);
      expect(done.status).toBe('failed');
      expect(done.error).toBe(
        'An audio task needs an audio or a video input, but the URL gave an image (image/png).',
      );
    });

    it('an image task by url resizes into the ingested media', async () => {
      const created = await t.create({
        kind: 'image',
        url: `${server.url}/pixel.png`,
        width: 32,
        format: 'webp',
        ref: 'small',
      });
      await t.engine.runUntilIdle();
      const done = await t.task(created.id);
      expect(done.status).toBe('completed');
      expect(done.output).toMatchObject({
        kind: 'image',
        type: 'image/webp',
        width: 32,
        height: 24,
        ref: 'small',
      });
      expect(done.output.filename).toBe(`${done.output.id}.webp`);
      expect(done.output.media_id).toBe(done.input.media_id);
      const bad = await t.request('POST', '/tasks', {
        kind: 'image',
        url: `${server.url}/pixel.png`,
        format: 'bmp',
      });
      expect(bad.status).toBe(400);
      expect(bad.json.message).toMatch(
        /^Invalid option "format" for image tasks: "bmp" is not allowed; allowed values: jpeg, png, webp/,
      );
    });

    it('a truncated MP4 by url fails a video task with a clear error', async () => {
      const created = await t.create({ kind: 'video', url: `${server.url}/truncated.mp4` });
      await t.engine.runUntilIdle();
      const done = await t.task(created.id);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/corrupt|truncated|invalid|could not be (read|decoded)/i);
    });
  });

  describe('lifecycle', () => {
    it('reports progress and eta while processing; cancel stops the runner through its signal', async () => {
      const file = await ingestFile('clip.mp4');
      const created = await t.create({ kind: 'gate', file_id: file.id });
      const idle = t.engine.runUntilIdle();
      await gate.started(created.id);
      await expect.poll(async () => (await t.task(created.id)).progress).toBe(40);
      const running = await t.task(created.id);
      expect(running).toMatchObject({ status: 'processing', progress: 40, eta: 12 });

      const cancelled = await t.request('POST', `/tasks/${created.id}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.json.status).toBe('cancelled');
      await idle;
      expect(gate.aborted.find((a) => a.id === created.id)?.reason).toMatchObject({ reason: 'cancelled' });
      const after = await t.task(created.id);
      expect(after.status).toBe('cancelled');
      expect(after.output).toBeNull();
      // the 59 later progress calls within the same second were not written
      expect(after.progress).toBe(40);
      // idempotent, and a finished task cannot be cancelled
      expect((await t.request('POST', `/tasks/${created.id}/cancel`)).json.status).toBe('cancelled');
      const note = await t.create({ kind: 'note', file_id: file.id });
      await t.engine.runUntilIdle();
      const late = await t.request('POST', `/tasks/${note.id}/cancel`);
      expect(late.status).toBe(409);
      expect(late.json.message).toMatch(/already completed/);
    });

    it('cancel stops a URL download in progress and leaves no file behind', async () => {
      const files = (await t.request('GET', '/files?limit=100')).json.length;
      const created = await t.create({ kind: 'ingest', url: `${server.url}/slow` });
      const idle = t.engine.runUntilIdle();
      await expect.poll(async () => (await t.task(created.id)).status).toBe('processing');
      const started = Date.now();
      expect((await t.request('POST', `/tasks/${created.id}/cancel`)).json.status).toBe('cancelled');
      await idle;
      // the server never finishes the body: only the cancel can have ended the run this soon
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await t.task(created.id)).status).toBe('cancelled');
      expect((await t.request('GET', '/files?limit=100')).json.length).toBe(files);
    });

    it('a cancelled pending task never runs', async () => {
      const file = await ingestFile('pixel.png');
      const before = rec.runs.length;
      const created = await t.create({ kind: 'note', file_id: file.id });
      await t.request('POST', `/tasks/${created.id}/cancel`);
      await t.engine.runUntilIdle();
      expect(rec.runs.length).toBe(before);
      expect((await t.task(created.id)).status).toBe('cancelled');
    });

    it('retry runs a failed task again; start is idempotent', async () => {
      const file = await ingestFile('pixel.png');
      const created = await t.create({ kind: 'flaky', file_id: file.id });
      await t.engine.runUntilIdle();
      const failed = await t.task(created.id);
      expect(failed.status).toBe('failed');
      expect(failed.error).toBe('The note cannot be written (run 1).');
      expect((await t.request('POST', `/tasks/${created.id}/start`)).json.status).toBe('failed');

      const retried = await t.request('POST', `/tasks/${created.id}/retry`);
      expect(retried.status).toBe(200);
      expect(retried.json).toMatchObject({ status: 'pending', error: null, output: null });
      await t.engine.runUntilIdle();
      const done = await t.task(created.id);
      expect(done.status).toBe('completed');
      expect(done.output.filename).toBe(`${done.output.id}.txt`);
      expect((await t.request('POST', `/tasks/${created.id}/retry`)).status).toBe(409);
      expect((await t.request('POST', `/tasks/${created.id}/start`, {})).json.status).toBe('completed');

      const pending = await t.create({ kind: 'note', file_id: file.id });
      const started = await t.request('POST', `/tasks/${pending.id}/start`, {});
      expect(started.status).toBe(200);
      expect(started.json.status).toBe('pending');
      await t.engine.runUntilIdle();
    });

    it('404 for a task of another project or an unknown id', async () => {
      const other = await t.ctx.projects.createProject(`other-${Date.now()}`);
      const key = await t.ctx.projects.createKey(other.id);
      const file = await ingestFile('pixel.png');
      const created = await t.create({ kind: 'note', file_id: file.id });
      const res = await t.request('GET', `/tasks/${created.id}`, undefined, {
        authorization: `Bearer ${key.key}`,
      });
      expect(res.status).toBe(404);
      expect((await t.request('GET', '/tasks/task_unknown000000001')).status).toBe(404);
      expect(
        (
          await t.request('POST', `/tasks/${created.id}/cancel`, undefined, {
            authorization: `Bearer ${key.key}`,
          })
        ).status,
      ).toBe(404);
      await t.engine.runUntilIdle();
    });
  });

  describe('reading', () => {
    it('lists newest first with page/limit and status/kind filters', async () => {
      const file = await ingestFile('pixel.png');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await t.create({ kind: 'note', file_id: file.id })).id);
      const pending = await t.request('GET', '/tasks?status=pending&kind=note&limit=2');
      expect(pending.status).toBe(200);
      expect(pending.headers['x-total-count']).toBe('3');
      const page2 = await t.request('GET', '/tasks?status=pending&kind=note&limit=2&page=2');
      const listed = [...pending.json, ...page2.json].map((x: { id: string; created: string }) => x);
      // newest first; tasks made in the same millisecond have no defined order among themselves
      expect(listed.map((x) => x.id).sort()).toEqual([...ids].sort());
      expect(listed.map((x) => x.created)).toEqual([...listed.map((x) => x.created)].sort().reverse());
      await t.engine.runUntilIdle();
      const completed = await t.request('GET', '/tasks?status=completed&kind=note&limit=100');
      expect(completed.json.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining(ids));
      expect(completed.json.every((x: { output: unknown }) => x.output !== null)).toBe(true);
      expect((await t.request('GET', '/tasks?status=done')).status).toBe(400);

      const g2 = await t.request('GET', '/tasks?kind=note&limit=1', undefined, {
        'accept-version': '2025-07-01',
      });
      expect(g2.json.meta).toMatchObject({ type: 'list', limit: 1, page: 1 });
      expect(g2.json.data).toHaveLength(1);
      const one = await t.request('GET', `/tasks/${ids[0]}`, undefined, { 'accept-version': '2025-07-01' });
      expect(one.json.data).toMatchObject({ id: ids[0], object: 'task', status: 'completed' });
      expect(one.json.links.self).toBe(`https://api.test.local/tasks/${ids[0]}`);
    });

    it('GET /tasks-config is bare in every version and comes from the kinds registry', async () => {
      for (const version of ['2025-07-01', '2025-08-20']) {
        const res = await t.request('GET', '/tasks-config', undefined, { 'accept-version': version });
        expect(res.status).toBe(200);
        expect(res.json.meta).toBeUndefined();
        expect(res.json.note).toEqual({
          description: 'test kind: writes a short text file',
          inputs: ['video', 'image', 'audio'],
          formats: ['txt', 'md'],
          options: {
            format: { type: 'string', description: 'note format', values: ['txt', 'md'], default: 'txt' },
            words: { type: 'integer', description: 'words to write', min: 1, max: 100, default: 3 },
            ref: { type: 'string' },
            folder: { type: 'string' },
            filename: { type: 'string' },
          },
          available: true,
        });
        expect(res.json.ingest.inputs).toEqual(['url']);
        expect(Object.keys(res.json.ingest.options)).toEqual(
          expect.arrayContaining(['media_id', 'folder', 'filename', 'ref', 'metadata']),
        );
      }
    });
  });

  describe('webhooks', () => {
    it('a finished task with webhook_url writes its outbox row in the finishing transaction', async () => {
      const file = await ingestFile('pixel.png');
      const ok = await t.create({
        kind: 'note',
        file_id: file.id,
        webhook_url: 'https://hooks.example.com/done?kind=note',
      });
      const bad = await t.create({
        kind: 'flaky',
        file_id: file.id,
        webhook_url: 'https://hooks.example.com/done',
      });
      const silent = await t.create({ kind: 'note', file_id: file.id });
      expect(ok.webhook_url).toBe('https://hooks.example.com/done?kind=note');
      await t.engine.runUntilIdle();
      const rows = await t.ctx.store.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('task_id', 'in', [ok.id, bad.id, silent.id])
        .execute();
      expect(rows).toHaveLength(2);
      const done = rows.find((r) => r.task_id === ok.id)!;
      expect(done).toMatchObject({ type: 'task.completed', url: 'https://hooks.example.com/done?kind=note' });
      const payload = JSON.parse(done.payload);
      expect(payload).toMatchObject({
        id: ok.id,
        object: 'task',
        kind: 'note',
        status: 'completed',
        project_id: expect.stringMatching(/^prj_/),
        automation_id: null,
        results: { object: 'intelligence', kind: 'note' },
      });
      expect(payload.output.id).toBe(payload.results.id);
      expect(payload.completed).toBe(payload.updated);
      const failed = rows.find((r) => r.task_id === bad.id)!;
      expect(failed.type).toBe('task.failed');
      expect(JSON.parse(failed.payload)).toMatchObject({
        status: 'failed',
        error: 'The note cannot be written (run 1).',
        results: null,
      });
    });
  });
});
