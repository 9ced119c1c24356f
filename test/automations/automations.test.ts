// Automations, workflow tasks, conditions and http steps, events and webhook endpoints, and PUT, as a
// client sees them, on SQLite and PostgreSQL: real ffmpeg/sharp steps, a real HTTP receiver.
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebhookDispatcher } from '../../src/worker/webhook-dispatcher.js';
import { testDatabases } from '../helpers/app.js';
import { type Fixtures, type MediaServer, makeFixtures, startMediaServer } from '../helpers/fixtures.js';
import { startTaskApp, type TaskApp } from '../tasks/helpers.js';
import { flakyKind, gateKind, noteKind } from '../tasks/kinds.js';
import { type Receiver, startReceiver } from '../webhooks/helpers.js';

let fx: Fixtures;
let server: MediaServer;
beforeAll(async () => {
  fx = await makeFixtures();
  server = await startMediaServer({ 'clip.mp4': fx.mp4, 'pixel.png': fx.png, 'tone.mp3': fx.mp3 });
});
afterAll(async () => {
  await server?.close();
});

const thumbStep = { kind: 'image', width: 32, format: 'webp', ref: 'thumb' };

describe.each(testDatabases())('automations and workflows (%s)', (db) => {
  let t: TaskApp;
  let receiver: Receiver;
  const gate = gateKind();
  const dispatcher = () => new WebhookDispatcher({ webhooks: t.ctx.webhooks, config: t.ctx.config });
  beforeAll(async () => {
    receiver = await startReceiver('http');
    t = await startTaskApp({
      db,
      kinds: [noteKind(), flakyKind(1000, true, 'broken'), gate.def],
      engine: { concurrency: 2, retryDelayMs: 0 },
      env: { MEDIARY_TASK_MAX_ATTEMPTS: '2', MEDIARY_WEBHOOK_TIMEOUT_MS: '400' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });
  afterEach(async () => {
    // automations of one test must not fire in the next
    const list = await t.request('GET', '/automations?limit=100');
    for (const a of list.json ?? []) await t.request('DELETE', `/automations/${a.id}`);
    const eps = await t.request('GET', '/webhooks/endpoints?limit=100');
    for (const e of eps.json ?? []) await t.request('DELETE', `/webhooks/endpoints/${e.id}`);
    receiver.received.length = 0;
    receiver.respond = () => 200;
  });

  async function ingest(name = 'pixel.png', body: Record<string, unknown> = {}) {
    const res = await t.request('POST', '/files', { url: `${server.url}/${name}`, ...body });
    expect(res.status).toBe(201);
    return res.json as { id: string; media_id: string };
  }

  async function automation(body: Record<string, unknown>) {
    const res = await t.request('POST', '/automations', body);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return res.json;
  }

  async function runsOf(automationId: string) {
    const list = await t.request('GET', '/tasks?kind=workflow&limit=100');
    return (list.json as { created_by: string; id: string }[]).filter((x) => x.created_by === automationId);
  }

  describe('automations CRUD', () => {
    it('creates with defaults, stores steps verbatim, reads, patches, replaces and deletes', async () => {
      const workflow = [{ ...thumbStep, next: [{ kind: 'note', words: 3 }] }, { kind: 'subtitle' }];
      // subtitle is read as subtitles; without that kind on this server the step is refused by name
      const noSubs = await t.request('POST', '/automations', {
        trigger: { kind: 'event', event: 'media.created' },
        workflow,
      });
      const hasSubtitles = (await t.request('GET', '/tasks-config')).json.subtitles !== undefined;
      if (!hasSubtitles) {
        expect(noSubs.status).toBe(400);
        expect(noSubs.json.message).toContain('workflow[1].kind');
      }
      const a = await automation({
        name: 'thumbs',
        trigger: { kind: 'event', event: 'media.created' },
        workflow: workflow.slice(0, 1),
      });
      expect(a).toMatchObject({
        object: 'automation',
        name: 'thumbs',
        description: null,
        status: 'active',
        trigger: { kind: 'event', event: 'media.created' },
        workflow: workflow.slice(0, 1),
      });
      expect(a.id).toMatch(/^auto_[A-Za-z0-9]{16}$/);
      expect((await t.request('GET', `/automations/${a.id}`)).json).toEqual(a);

      const patched = await t.request('PATCH', `/automations/${a.id}`, {
        status: 'paused',
        description: 'd',
      });
      expect(patched.json).toMatchObject({ name: 'thumbs', description: 'd', status: 'paused' });

      const put = await t.request('PUT', `/automations/${a.id}`, {
        trigger: { kind: 'event', event: 'file.created' },
        workflow: [{ kind: 'note' }],
      });
      expect(put.status).toBe(200);
      // PUT replaces: what is not given is empty or default
      expect(put.json).toMatchObject({
        name: null,
        description: null,
        status: 'active',
        workflow: [{ kind: 'note' }],
      });
      const putMissing = await t.request('PUT', `/automations/${a.id}`, { name: 'x' });
      expect(putMissing.status).toBe(400);

      const listed = await t.request('GET', '/automations');
      expect(listed.json.map((x: { id: string }) => x.id)).toContain(a.id);
      const del = await t.request('DELETE', `/automations/${a.id}`);
      expect(del.json).toEqual({ message: `Automation ${a.id} deleted` });
      expect((await t.request('GET', `/automations/${a.id}`)).status).toBe(404);
      expect((await t.request('DELETE', `/automations/${a.id}`)).status).toBe(404);
    });

    it('answers in the envelope for 2025-07-01 too', async () => {
      const res = await t.request(
        'POST',
        '/automations',
        { trigger: { kind: 'event', event: 'media.created' }, workflow: [{ kind: 'note' }] },
        { 'accept-version': '2025-07-01' },
      );
      expect(res.status).toBe(201);
      expect(res.json.data).toMatchObject({ object: 'automation', status: 'active' });
      expect(res.json.meta.type).toBe('object');
    });

    it.each([
      [{ workflow: [{ kind: 'note' }] }, /trigger/],
      [{ trigger: { kind: 'event', event: 'media.exploded' } }, /trigger\.event/],
      [{ trigger: { kind: 'event', event: 'media.created' } }, /workflow/],
      [{ trigger: { kind: 'event', event: 'media.created' }, workflow: [] }, /at least one step/],
      [
        { trigger: { kind: 'event', event: 'media.created' }, workflow: [{ kind: 'teleport' }] },
        /workflow\[0\]\.kind/,
      ],
      [
        {
          trigger: { kind: 'event', event: 'media.created' },
          workflow: [{ kind: 'note' }, { kind: 'image', next: [{ kind: 'image', width: 'huge' }] }],
        },
        /workflow\[1\]\.next\[0\]\.width/,
      ],
      [
        { trigger: { kind: 'event', event: 'media.created' }, workflow: [{ kind: 'image', colour: 'red' }] },
        /workflow\[0\]\.colour/,
      ],
      [
        { trigger: { kind: 'event', event: 'media.created' }, workflow: [{ kind: 'ingest' }] },
        /workflow\[0\]\.kind/,
      ],
    ])('refuses %j with a 400 naming the place', async (body, message) => {
      const res = await t.request('POST', '/automations', body);
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(message);
    });

    it('refuses absurd depth and 10,000 steps', async () => {
      let deep: Record<string, unknown> = { kind: 'note' };
      for (let i = 0; i < 20; i++) deep = { kind: 'note', next: [deep] };
      const tooDeep = await t.request('POST', '/automations', {
        trigger: { kind: 'event', event: 'media.created' },
        workflow: [deep],
      });
      expect(tooDeep.status).toBe(400);
      expect(tooDeep.json.message).toMatch(/nested more than 8/);
      const many = await t.request('POST', '/automations', {
        trigger: { kind: 'event', event: 'media.created' },
        workflow: Array.from({ length: 10_000 }, () => ({ kind: 'note' })),
      });
      expect(many.status).toBe(400);
      expect(many.json.message).toMatch(/at most 50 steps/);
    });
  });

  describe('triggers', () => {
    it('media.created runs the workflow once per new media: outputs land on the media', async () => {
      const a = await automation({
        trigger: { kind: 'event', event: 'media.created' },
        workflow: [{ ...thumbStep, next: [{ kind: 'note', words: 2, ref: 'note' }] }],
      });
      // an empty media is no trigger until its first file
      const empty = await t.request('POST', '/media', {});
      expect(empty.status).toBe(201);
      expect(await runsOf(a.id)).toHaveLength(0);

      const file = await ingest();
      const runs = await runsOf(a.id);
      expect(runs).toHaveLength(1);
      // a second file of the same media is not a new media
      await ingest('pixel.png', { media_id: file.media_id });
      expect(await runsOf(a.id)).toHaveLength(1);

      await t.engine.runUntilIdle();
      const run = await t.task(runs[0].id);
      expect(run).toMatchObject({ kind: 'workflow', status: 'completed', created_by: a.id, progress: 100 });
      expect(run.workflow).toHaveLength(2);
      const [thumb, note] = run.workflow;
      expect(thumb).toMatchObject({ kind: 'image', status: 'completed', parent_id: run.id });
      expect(note).toMatchObject({ kind: 'note', status: 'completed', parent_id: run.id });
      // the next step took the thumbnail as its input
      const noteTask = await t.task(note.id);
      expect(noteTask.input.id).toBe(thumb.output_file_id);
      const media = await t.request('GET', `/media/${file.media_id}`);
      expect(Object.keys(media.json.urls)).toEqual(expect.arrayContaining(['original', 'thumb', 'note']));

      const triggered = await t.request('GET', '/events?kind=automation.triggered');
      expect(
        triggered.json.filter((e: { data: { automation_id: string } }) => e.data.automation_id === a.id),
      ).toHaveLength(1);
    });

    it('a paused automation does not fire; file.created and task.completed triggers do', async () => {
      const paused = await automation({
        trigger: { kind: 'event', event: 'media.created' },
        workflow: [{ kind: 'note' }],
        status: 'paused',
      });
      const onFile = await automation({
        trigger: { kind: 'event', event: 'file.created' },
        workflow: [{ kind: 'note' }],
      });
      await ingest();
      expect(await runsOf(paused.id)).toHaveLength(0);
      expect(await runsOf(onFile.id)).toHaveLength(1);
      // outputs of an automation's own run trigger nothing (no loops)
      await t.engine.runUntilIdle();
      expect(await runsOf(onFile.id)).toHaveLength(1);

      await t.request('DELETE', `/automations/${onFile.id}`);
      const onDone = await automation({
        trigger: { kind: 'event', event: 'task.completed' },
        workflow: [{ kind: 'note' }],
      });
      const f = await ingest();
      await t.create({ kind: 'note', file_id: f.id });
      await t.engine.runUntilIdle();
      expect(await runsOf(onDone.id)).toHaveLength(1);
    });

    it('an automation deleted while its run is in flight: the run still finishes', async () => {
      const a = await automation({
        trigger: { kind: 'event', event: 'media.created' },
        workflow: [thumbStep],
      });
      await ingest();
      const [run] = await runsOf(a.id);
      await t.request('DELETE', `/automations/${a.id}`);
      await t.engine.runUntilIdle();
      expect((await t.task(run.id)).status).toBe('completed');
    });

    it('the same media given two first files at once fires once', async () => {
      const a = await automation({
        trigger: { kind: 'event', event: 'media.created' },
        workflow: [{ kind: 'note' }],
      });
      const empty = (await t.request('POST', '/media', {})).json;
      await Promise.all([
        ingest('pixel.png', { media_id: empty.id }),
        ingest('tone.mp3', { media_id: empty.id }),
      ]);
      expect(await runsOf(a.id)).toHaveLength(1);
    });
  });

  describe('workflow tasks', () => {
    it('top-level steps run in parallel; a failed step fails the workflow naming it; retry runs it again', async () => {
      const f = await ingest();
      const wf = await t.create({
        kind: 'workflow',
        file_id: f.id,
        workflow: [{ kind: 'note' }, { kind: 'broken' }],
      });
      expect(wf.status).toBe('pending');
      await t.engine.runUntilIdle();
      const failed = await t.task(wf.id);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/^Step broken \(task_[A-Za-z0-9]+\) failed: /);
      expect(failed.workflow.map((s: { status: string }) => s.status).sort()).toEqual([
        'completed',
        'failed',
      ]);

      const retried = await t.request('POST', `/tasks/${wf.id}/retry`);
      expect(retried.status).toBe(200);
      expect(retried.json.status).toBe('processing');
      await t.engine.runUntilIdle();
      // the broken kind fails every time: the workflow fails again, and the note step ran once only
      const again = await t.task(wf.id);
      expect(again.status).toBe('failed');
      expect(again.workflow.filter((s: { kind: string }) => s.kind === 'note')).toHaveLength(1);
    });

    it('cancel cascades to the steps', async () => {
      const f = await ingest();
      const wf = await t.create({
        kind: 'workflow',
        file_id: f.id,
        workflow: [{ kind: 'gate' }, { kind: 'gate' }],
      });
      const draining = t.engine.runUntilIdle();
      let started = await t.task(wf.id);
      for (let i = 0; i < 200 && (started.workflow?.length ?? 0) < 2; i++) {
        await new Promise((r) => setTimeout(r, 20));
        started = await t.task(wf.id);
      }
      expect(started.status).toBe('processing');
      await Promise.all(started.workflow.map((s: { id: string }) => gate.started(s.id)));
      const cancelled = await t.request('POST', `/tasks/${wf.id}/cancel`);
      expect(cancelled.json.status).toBe('cancelled');
      await draining;
      const after = await t.task(wf.id);
      expect(after.status).toBe('cancelled');
      expect(after.workflow.map((s: { status: string }) => s.status)).toEqual(['cancelled', 'cancelled']);
      // the running steps were stopped through their signal
      expect(gate.aborted.map((a) => a.id).sort()).toEqual(
        started.workflow.map((s: { id: string }) => s.id).sort(),
      );
    });

    it('a workflow from a URL ingests first; its steps get the ingested file', async () => {
      const wf = await t.create({ kind: 'workflow', url: `${server.url}/pixel.png`, workflow: [thumbStep] });
      await t.engine.runUntilIdle();
      const done = await t.task(wf.id);
      expect(done.status).toBe('completed');
      expect(done.input.id).toMatch(/^file_/);
      const step = await t.task(done.workflow[0].id);
      expect(step.input.id).toBe(done.input.id);
      expect(step.output).toMatchObject({ kind: 'image', width: 32, ref: 'thumb' });
    });

    it('refuses bad steps at creation like automations do', async () => {
      const f = await ingest();
      const res = await t.request('POST', '/tasks', {
        kind: 'workflow',
        file_id: f.id,
        workflow: [{ kind: 'image', next: [{ kind: 'image', quality: 500 }] }],
      });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/workflow\[0\]\.next\[0\]\.quality/);
    });
  });

  describe('conditions', () => {
    it.each([
      [
        [
          { prop: 'type', value: 'image/*' },
          { prop: 'width', value: '64' },
        ],
        true,
      ],
      [[{ prop: 'kind', value: 'video' }], false],
      [[{ prop: 'file.width', operator: 'gt', value: 100 }], false],
      [
        [
          { prop: 'width', operator: 'lte', value: 64 },
          { prop: 'media.kind', value: 'image' },
        ],
        true,
      ],
      [[{ prop: 'metadata.nope', value: '*' }], false],
      [[{ prop: 'filesize', operator: 'in', value: [1, 2] }], false],
    ])('%j → continue %s; next runs only then', async (conditions, pass) => {
      const f = await ingest();
      const wf = await t.create({
        kind: 'workflow',
        file_id: f.id,
        workflow: [{ kind: 'conditions', conditions, next: [{ kind: 'note' }] }],
      });
      await t.engine.runUntilIdle();
      const done = await t.task(wf.id);
      expect(done.status).toBe('completed');
      const cond = await t.task(done.workflow[0].id);
      expect(cond.results.continue).toBe(pass);
      expect(cond.results.passed.length + cond.results.failed.length).toBe(conditions.length);
      expect(done.workflow).toHaveLength(pass ? 2 : 1);
    });

    it('is a task kind on its own too', async () => {
      const f = await ingest();
      const c = await t.create({
        kind: 'conditions',
        file_id: f.id,
        conditions: [{ prop: 'kind', value: 'image' }],
      });
      await t.engine.runUntilIdle();
      expect((await t.task(c.id)).results).toEqual({
        passed: [{ prop: 'kind', value: 'image' }],
        failed: [],
        continue: true,
      });
    });
  });

  describe('http steps', () => {
    it('POSTs {task, file, media} signed with the project secret; 2xx completes', async () => {
      const f = await ingest();
      const wf = await t.create({
        kind: 'workflow',
        file_id: f.id,
        workflow: [{ kind: 'http', url: `${receiver.origin}/hook?x=1`, headers: { 'X-Extra': 'yes' } }],
      });
      await t.engine.runUntilIdle();
      expect((await t.task(wf.id)).status).toBe('completed');
      expect(receiver.received).toHaveLength(1);
      const r = receiver.received[0];
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/hook?x=1');
      expect(r.headers['x-extra']).toBe('yes');
      const body = JSON.parse(r.body);
      expect(body.file.id).toBe(f.id);
      expect(body.media.id).toBe(f.media_id);
      expect(body.task.kind).toBe('http');
      const secret = (await t.request('GET', '/webhooks/secret')).json.secret;
      expect(() => new Webhook(secret).verify(r.body, r.headers as Record<string, string>)).not.toThrow();
    });

    it('a receiver that answers 500 forever: retried, then the step and workflow fail', async () => {
      receiver.respond = () => 500;
      const f = await ingest();
      const wf = await t.create({
        kind: 'workflow',
        file_id: f.id,
        workflow: [{ kind: 'http', url: `${receiver.origin}/x` }],
      });
      await t.engine.runUntilIdle();
      const done = await t.task(wf.id);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/HTTP 500/);
      expect(receiver.received).toHaveLength(2); // MEDIARY_TASK_MAX_ATTEMPTS=2
    });
  });

  describe('http steps that must fail cleanly', () => {
    it.each([
      ['hangs', () => 'hang' as const, /no response within 400 ms/],
      ['redirects (to anywhere, private or not)', () => 302, /HTTP 302: redirects are not followed/],
    ])('a receiver that %s: retried, then failed with the reason', async (_, respond, reason) => {
      receiver.respond = respond;
      const f = await ingest();
      const wf = await t.create({
        kind: 'workflow',
        file_id: f.id,
        workflow: [{ kind: 'http', url: `${receiver.origin}/x` }],
      });
      await t.engine.runUntilIdle();
      const done = await t.task(wf.id);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(reason);
      expect(receiver.received).toHaveLength(2);
    });

    it('a private address is refused when written, on a server that refuses private URLs', async () => {
      const strict = await startTaskApp({ db, env: { MEDIARY_ALLOW_PRIVATE_URLS: 'false' } });
      try {
        const auto = await strict.request('POST', '/automations', {
          trigger: { kind: 'event', event: 'media.created' },
          workflow: [{ kind: 'image', next: [{ kind: 'http', url: 'http://127.0.0.1:9/x' }] }],
        });
        expect(auto.status).toBe(400);
        expect(auto.json).toMatchObject({ kind: 'url_forbidden' });
        const ep = await strict.request('POST', '/webhooks/endpoints', { url: 'http://10.0.0.1/x' });
        expect(ep.status).toBe(400);
      } finally {
        await strict.close();
      }
    });
  });

  describe('events', () => {
    it('every change writes an event; list newest first, filter by kind, cursor, get; 404 across projects', async () => {
      const f = await ingest();
      const task = await t.create({ kind: 'note', file_id: f.id });
      await t.engine.runUntilIdle();
      await t.request('PATCH', `/files/${f.id}`, { ref: 'renamed' });
      const all = (await t.request('GET', '/events?limit=100')).json as {
        id: string;
        kind: string;
        data: { id: string };
      }[];
      const kinds = all.map((e) => e.kind);
      for (const k of [
        'file.created',
        'media.created',
        'task.created',
        'task.processing',
        'task.completed',
        'file.updated',
      ]) {
        expect(kinds).toContain(k);
      }
      const mine = all.filter((e) => e.data.id === task.id).map((e) => e.kind);
      expect(mine).toEqual(['task.completed', 'task.processing', 'task.created']);

      const onlyFiles = (await t.request('GET', '/events?kind=file.created')).json;
      expect(onlyFiles.every((e: { kind: string }) => e.kind === 'file.created')).toBe(true);

      const first = await t.request('GET', '/events?limit=2&after=' + all[0].id);
      expect(first.json.map((e: { id: string }) => e.id)).toEqual([all[1], all[2]].map((e) => e.id));
      expect(first.headers['has-more']).toBe('true');
      const back = await t.request('GET', '/events?limit=1&before=' + all[1].id);
      expect(back.json[0].id).toBe(all[0].id);

      const one = await t.request('GET', `/events/${all[0].id}`);
      expect(one.json).toMatchObject({ object: 'event', kind: all[0].kind });
      expect((await t.request('GET', '/events/evt_nope0000000000000')).status).toBe(404);
      expect((await t.request('GET', '/events?after=evt_nope0000000000000')).status).toBe(404);
    });

    it('prunes events past the retention', async () => {
      await ingest();
      const before = await t.ctx.store.db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(before.n)).toBeGreaterThan(0);
      expect(await t.ctx.events.prune(Date.now() + 31 * 86_400_000)).toBe(Number(before.n));
      expect((await t.request('GET', '/events')).json).toEqual([]);
    });

    it('prunes a large backlog in batches, oldest first, and keeps what is still within the retention', async () => {
      await ingest();
      const fresh = await t.ctx.store.db.selectFrom('events').select('id').execute();
      expect(fresh.length).toBeGreaterThan(0);
      const auth = (await t.ctx.projects.authenticate(t.key))!;
      const old = Array.from({ length: 7 }, (_, i) => ({
        id: `evt_OldEventNumber000${i}`,
        project_id: auth.projectId,
        kind: 'file.created',
        data: '{}',
        created: new Date(Date.now() - (40 + i) * 86_400_000).toISOString(),
      }));
      await t.ctx.store.db.insertInto('events').values(old).execute();
      // batches of 3: 3 + 3 + 1
      expect(await t.ctx.events.prune(Date.now(), 3)).toBe(7);
      const left = await t.ctx.store.db.selectFrom('events').select('id').execute();
      expect(left.map((e) => e.id).sort()).toEqual(fresh.map((e) => e.id).sort());
      expect(await t.ctx.events.prune(Date.now(), 3)).toBe(0);
    });
  });

  describe('webhook endpoints', () => {
    it('create shows the secret once in the answer and on GET; deliveries are signed with it', async () => {
      const created = await t.request('POST', '/webhooks/endpoints', {
        url: `${receiver.origin}/events`,
        topics: ['task.succeeded', 'media.created'],
      });
      expect(created.status).toBe(201);
      const ep = created.json;
      expect(ep).toMatchObject({
        object: 'webhook_endpoint',
        status: 'active',
        topics: ['task.completed', 'media.created'],
      });
      expect(ep.id).toMatch(/^we_/);
      expect(ep.secret).toMatch(/^whsec_/);
      expect((await t.request('GET', `/webhooks/endpoints/${ep.id}`)).json.secret).toBe(ep.secret);
      expect((await t.request('GET', '/webhooks/endpoints')).json[0].secret).toBeUndefined();

      const f = await ingest();
      await t.create({ kind: 'note', file_id: f.id });
      await t.engine.runUntilIdle();
      await dispatcher().runUntilIdle();
      const kinds = receiver.received.map((r) => JSON.parse(r.body).kind).sort();
      expect(kinds).toEqual(['media.created', 'task.completed']);
      for (const r of receiver.received) {
        const body = new Webhook(ep.secret).verify(r.body, r.headers as Record<string, string>) as {
          object: string;
        };
        expect(body.object).toBe('event');
      }
      const deliveries = await t.request('GET', `/webhooks/deliveries?endpoint_id=${ep.id}`);
      expect(deliveries.json).toHaveLength(2);
      // replay
      const replay = await t.request('POST', `/webhooks/deliveries/${deliveries.json[0].id}/retry`);
      expect(replay.status).toBe(202);
      await dispatcher().runUntilIdle();
      expect(receiver.received).toHaveLength(3);
    });

    it('a paused endpoint gets nothing more; a deleted one neither; rotate changes the secret', async () => {
      const ep = (await t.request('POST', '/webhooks/endpoints', { url: `${receiver.origin}/e` })).json;
      await ingest();
      await t.request('PATCH', `/webhooks/endpoints/${ep.id}`, { status: 'paused' });
      await ingest();
      await dispatcher().runUntilIdle();
      expect(receiver.received).toHaveLength(0);
      const rotated = (await t.request('POST', `/webhooks/endpoints/${ep.id}/rotate`)).json;
      expect(rotated.secret).not.toBe(ep.secret);
      const del = await t.request('DELETE', `/webhooks/endpoints/${ep.id}`);
      expect(del.json).toEqual({ message: `Webhook endpoint ${ep.id} deleted` });
      expect((await t.request('GET', `/webhooks/endpoints/${ep.id}`)).status).toBe(404);
    });

    it('refuses unknown topics and bad URLs', async () => {
      const topic = await t.request('POST', '/webhooks/endpoints', {
        url: `${receiver.origin}/e`,
        topics: ['nope'],
      });
      expect(topic.status).toBe(400);
      const url = await t.request('POST', '/webhooks/endpoints', { url: 'ftp://x/y' });
      expect(url.status).toBe(400);
    });
  });

  describe('PUT', () => {
    it('replaces a file’s names: what is not given becomes empty', async () => {
      const f = await ingest('pixel.png', {
        folder: 'a/b',
        filename: 'red.png',
        ref: 'r',
        metadata: { k: 1 },
      });
      const res = await t.request('PUT', `/files/${f.id}`, { filename: 'blue.png' });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ filename: 'blue.png' });
      expect(res.json.folder).toBeUndefined();
      expect(res.json.ref).toBeUndefined();
      expect(res.json.metadata).toBeUndefined();
      const none = await t.request('PUT', `/files/${f.id}`, {});
      expect(none.json.filename).toBe(`${f.id}.png`);
      const patch = await t.request('PATCH', `/files/${f.id}`, { metadata: { a: 'x' } });
      expect(patch.json.filename).toBe(`${f.id}.png`);
    });

    it('replaces a media’s title, alt and metadata', async () => {
      const m = (await t.request('POST', '/media', { title: 't', alt: 'a', metadata: { k: 'v' } })).json;
      const res = await t.request('PUT', `/media/${m.id}`, { alt: 'new' });
      expect(res.status).toBe(200);
      expect(res.json.alt).toBe('new');
      expect(res.json.title).toBeUndefined();
      expect(res.json.metadata).toBeUndefined();
    });
  });
});
