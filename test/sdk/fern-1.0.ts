// The ittybit 1.0 SDKs (PHP, Go, Ruby; Python has its own file) are Fern-generated from one API definition:
// the same endpoints and the same bare (2025-08-20) response models, differing only in how each builds its
// requests — which headers, when `Accept-Version` is sent, how bodies are encoded. Each SDK file supplies an
// `Encode` (the exact request for an operation) and runs `fern10Suite`, one test per SDK method.
//
// Response models: PHP src/*/Types/*Response*.php @39844b3 (typed properties: a required one that is
// missing or null is a TypeError), Ruby lib/ittybit/*/types/*_response*.rb @0428390 (`initialize(id:, …)`
// keywords without defaults = required), Python 1.0 (test/sdk/python-sdk-1.0.test.ts). Go decodes into the
// same structs with encoding/json: a missing field silently stays "" / 0, so the check here is what makes a
// wrong shape visible for Go.
import { type TSchema, Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestResponse, testDatabases } from '../helpers/app.js';
import { type Fixtures, type MediaServer, makeFixtures, startMediaServer } from '../helpers/fixtures.js';
import {
  automationCall,
  Enum,
  expectShape,
  IsoDateTime,
  JsonObject,
  Opt,
  sdkSuccess,
  send,
  type WireRequest,
} from './wire.js';

// ---- 1.0 response models ----------------------------------------------------------------------------

const FileObject = Enum(['source', 'track', 'intelligence']);
const FileStatus = Enum(['waiting', 'processing', 'ready', 'failed']);

export const File10 = Type.Object({
  id: Type.String(),
  media_id: Type.String(),
  object: FileObject,
  kind: Type.String(),
  type: Type.String(),
  codec: Opt(Type.String()),
  container: Opt(Type.String()),
  width: Opt(Type.Integer()),
  height: Opt(Type.Integer()),
  orientation: Opt(Type.String()),
  rotation: Opt(Type.Number()),
  transparency: Opt(Type.Boolean()),
  animated: Opt(Type.Boolean()),
  frames: Opt(Type.Integer()),
  duration: Opt(Type.Number()),
  fps: Opt(Type.Number()),
  filesize: Type.Integer(),
  bitrate: Opt(Type.Integer()),
  language: Opt(Type.String()),
  label: Opt(Type.String()),
  ref: Opt(Type.String()),
  folder: Opt(Type.String()),
  filename: Opt(Type.String()),
  url: Type.String(),
  placeholder: Opt(Type.String()),
  background: Opt(Type.String()),
  metadata: Opt(JsonObject),
  original: Opt(Type.Boolean()),
  created_by: Opt(Type.String()),
  created: IsoDateTime,
  updated: IsoDateTime,
  status: FileStatus,
});

const MediaFile10 = Type.Object({
  id: Type.String(),
  object: FileObject,
  kind: Type.String(),
  type: Type.String(),
  width: Opt(Type.Integer()),
  height: Opt(Type.Integer()),
  duration: Opt(Type.Number()),
  filesize: Type.Integer(),
  ref: Opt(Type.String()),
  folder: Opt(Type.String()),
  filename: Opt(Type.String()),
  url: Type.String(),
  metadata: Opt(JsonObject),
  original: Opt(Type.Boolean()),
  created: IsoDateTime,
  updated: IsoDateTime,
  status: FileStatus,
});

export const Media10 = Type.Object({
  id: Type.String(),
  object: Type.String(),
  kind: Opt(Type.String()),
  title: Opt(Type.String()),
  alt: Opt(Type.String()),
  width: Opt(Type.Integer()),
  height: Opt(Type.Integer()),
  duration: Opt(Type.Number()),
  files: Type.Array(MediaFile10),
  urls: JsonObject,
  background: Opt(Type.String()),
  metadata: Opt(JsonObject),
  created: IsoDateTime,
  updated: IsoDateTime,
});

export const Task10 = Type.Object({
  id: Type.String(),
  object: Type.String(),
  kind: Type.String(),
  input: Opt(JsonObject),
  options: Opt(JsonObject),
  output: Opt(JsonObject),
  status: Enum(['pending', 'waiting', 'processing', 'ready', 'completed', 'failed', 'error', 'cancelled']),
  progress: Opt(Type.Integer()),
  error: Opt(Type.String()),
  created_by: Opt(Type.String()),
  created: IsoDateTime,
  updated: IsoDateTime,
  parent_id: Opt(Type.String()),
  workflow: Opt(Type.Array(Type.Unknown())),
  results: Opt(JsonObject),
});

export const Signature10 = Type.Object({
  domain: Type.String(),
  filename: Type.String(),
  folder: Opt(Type.String()),
  expiry: Type.Integer(),
  method: Type.String(),
  signature: Type.String(),
  url: Type.String(),
});

/** AutomationsGetResponse (Python/Ruby/PHP 1.0): id, trigger, workflow, status, created, updated required. */
export const Automation10 = Type.Object({
  id: Type.String(),
  name: Opt(Type.String()),
  description: Opt(Type.String()),
  trigger: Type.Object({ kind: Type.String(), event: Opt(Type.String()) }),
  workflow: Type.Array(JsonObject),
  status: Enum(['active', 'paused']),
  created: IsoDateTime,
  updated: IsoDateTime,
});

/** *DeleteResponse: `message` (optional in the types; the API always sends it). */
export const Delete10 = Type.Object({ message: Type.String() });

// ---- the operations every 1.0 SDK has ---------------------------------------------------------------

type Args = Record<string, unknown>;
type Method = WireRequest['method'];

/** One SDK method call: `json` undefined = the method has no body parameter; null = body argument omitted. */
export interface Op {
  name: string;
  method: Method;
  path: string;
  query?: { page?: number; limit?: number };
  json?: Args | null;
}

/** Builds the exact request an SDK sends for an operation. */
export type Encode = (op: Op, key: string) => WireRequest;

export class Fern10Client {
  /** every request sent, in order, for assertions on headers and bodies */
  readonly sent: WireRequest[] = [];
  constructor(
    private readonly t: TestApp,
    private readonly encode: Encode,
  ) {}

  last(): WireRequest {
    const r = this.sent[this.sent.length - 1];
    if (!r) throw new Error('nothing sent yet');
    return r;
  }

  private call(op: Op): Promise<TestResponse> {
    const r = this.encode(op, this.t.key);
    this.sent.push(r);
    return send(this.t, r);
  }

  files = {
    list: (query: Op['query'] = {}) =>
      this.call({ name: 'files.list', method: 'GET', path: '/files', query }),
    create: (a: Args) => this.call({ name: 'files.create', method: 'POST', path: '/files', json: a }),
    get: (id: string) => this.call({ name: 'files.get', method: 'GET', path: `/files/${id}` }),
    delete: (id: string) => this.call({ name: 'files.delete', method: 'DELETE', path: `/files/${id}` }),
    update: (id: string, a: Args | null = null) =>
      this.call({ name: 'files.update', method: 'PATCH', path: `/files/${id}`, json: a }),
  };

  media = {
    list: (query: Op['query'] = {}) =>
      this.call({ name: 'media.list', method: 'GET', path: '/media', query }),
    create: (a: Args | null = null) =>
      this.call({ name: 'media.create', method: 'POST', path: '/media', json: a }),
    get: (id: string) => this.call({ name: 'media.get', method: 'GET', path: `/media/${id}` }),
    delete: (id: string) => this.call({ name: 'media.delete', method: 'DELETE', path: `/media/${id}` }),
    update: (id: string, a: Args | null = null) =>
      this.call({ name: 'media.update', method: 'PATCH', path: `/media/${id}`, json: a }),
  };

  tasks = {
    list: (query: Op['query'] = {}) =>
      this.call({ name: 'tasks.list', method: 'GET', path: '/tasks', query }),
    create: (request: Args | null) =>
      this.call({ name: 'tasks.create', method: 'POST', path: '/tasks', json: request }),
    get: (id: string) => this.call({ name: 'tasks.get', method: 'GET', path: `/tasks/${id}` }),
  };

  signatures = {
    create: (a: Args) =>
      this.call({ name: 'signatures.create', method: 'POST', path: '/signatures', json: a }),
  };

  automations = {
    list: (query: Op['query'] = {}) =>
      this.call({ name: 'automations.list', method: 'GET', path: '/automations', query }),
    create: (a: Args) =>
      this.call({ name: 'automations.create', method: 'POST', path: '/automations', json: a }),
    get: (id: string) => this.call({ name: 'automations.get', method: 'GET', path: `/automations/${id}` }),
    delete: (id: string) =>
      this.call({ name: 'automations.delete', method: 'DELETE', path: `/automations/${id}` }),
    update: (id: string, a: Args | null = null) =>
      this.call({ name: 'automations.update', method: 'PATCH', path: `/automations/${id}`, json: a }),
  };
}

/** The value of a request header, whatever its case. */
export function headerOf(r: WireRequest, name: string): string | undefined {
  const k = Object.keys(r.headers).find((h) => h.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : r.headers[k];
}

export function sendsVersionHeader(r: WireRequest): boolean {
  return ['accept-version', 'accept_version', 'ittybit-version'].some((h) => headerOf(r, h) !== undefined);
}

// ---- the suite ---------------------------------------------------------------------------------------

// biome-ignore lint/suspicious/noExplicitAny: wire JSON, checked against the schemas above
type Body = any;

async function sdk(label: string, call: Promise<TestResponse>, schema: TSchema): Promise<Body> {
  const body = sdkSuccess(label, await call);
  expectShape(label, schema, body);
  return body;
}

export interface Fern10Options {
  /** e.g. "PHP ittybit/ittybit 1.0.0" */
  title: string;
  encode: Encode;
  /** SDK methods that send no version header (their shape comes from client detection, issue 8 A) */
  headerless: readonly string[];
  /** extra, SDK-specific tests, run inside the suite's describe with its app and client */
  extra?: (get: () => { t: TestApp; client: Fern10Client; ids: Record<string, string> }) => void;
}

/** The automation used by every SDK's automations.create (the SDKs' own example, docs §7). */
export const AUTOMATION = {
  name: 'My Example Automation',
  description: 'This workflow will run whenever new media is created.',
  trigger: { kind: 'event', event: 'media.created' },
  workflow: [{ kind: 'description' }, { kind: 'image', ref: 'thumbnail' }],
  status: 'active',
};

export function fern10Suite(o: Fern10Options): void {
  let fx: Fixtures;
  let server: MediaServer;
  beforeAll(async () => {
    fx = await makeFixtures();
    server = await startMediaServer({ 'sample.mp4': fx.mp4, 'pixel.png': fx.png });
  });
  afterAll(async () => {
    await server?.close();
  });

  describe.each(testDatabases())(`${o.title} wire conformance (%s)`, (db) => {
    let t: TestApp;
    let client: Fern10Client;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      // the stock default version (2025-07-01, the envelope): header-less calls must still get bare objects
      t = await startTestApp({ db, env: { MEDIARY_DEFAULT_VERSION: '' } });
      client = new Fern10Client(t, o.encode);
    });
    afterAll(async () => {
      await t?.close();
    });

    /** Calls, checks the parse, and that the request carried a version header exactly when the SDK sends one. */
    async function call(label: string, p: Promise<TestResponse>, schema: TSchema): Promise<Body> {
      const res = await p;
      const name = label.split(/[ (]/)[0];
      expect(sendsVersionHeader(client.last()), `${label}: version header sent`).toBe(
        !o.headerless.includes(name),
      );
      return sdk(label, Promise.resolve(res), schema);
    }

    it('files.create: POST /files → FilesCreateResponse', async () => {
      const f = await call(
        'files.create',
        client.files.create({
          url: `${server.url}/sample.mp4`,
          folder: 'ittybit/samples',
          filename: 'video.mp4',
          metadata: { customKey: 'your custom value' },
        }),
        File10,
      );
      expect(f).toMatchObject({ object: 'source', kind: 'video', status: 'ready', filename: 'video.mp4' });
      expect(f.url).toMatch(/\/ittybit\/samples\/video\.mp4$/);
      ids.file = f.id;
      ids.media = f.media_id;
      const img = await call(
        'files.create (media_id, ref)',
        client.files.create({ url: `${server.url}/pixel.png`, media_id: ids.media, ref: 'poster' }),
        File10,
      );
      expect(img).toMatchObject({ media_id: ids.media, kind: 'image', ref: 'poster' });
      ids.image = img.id;
    });

    it('files.list: GET /files → array<FilesListResponseItem>', async () => {
      const all = await call('files.list', client.files.list(), Type.Array(File10));
      expect(all.map((f: Body) => f.id).sort()).toEqual([ids.file, ids.image].sort());
      expect(
        await call('files.list (page, limit)', client.files.list({ page: 2, limit: 1 }), Type.Array(File10)),
      ).toHaveLength(1);
      expect(
        await call('files.list (past the end)', client.files.list({ page: 9 }), Type.Array(File10)),
      ).toEqual([]);
    });

    it('files.get: GET /files/{id} → FilesGetResponse', async () => {
      const f = await call('files.get', client.files.get(ids.file), File10);
      expect(f.id).toBe(ids.file);
      expect(f).not.toHaveProperty('meta');
    });

    it('files.update: PATCH /files/{id} → FilesUpdateResponse', async () => {
      const u = await call(
        'files.update',
        client.files.update(ids.file, {
          folder: 'updated/folder',
          filename: 'new_filename.mp4',
          metadata: { customKey: 'a different custom value' },
        }),
        File10,
      );
      expect(u).toMatchObject({ folder: 'updated/folder', filename: 'new_filename.mp4' });
      expect(u.url).toMatch(/\/updated\/folder\/new_filename\.mp4$/);
      await call('files.update (no fields)', client.files.update(ids.file), File10);
    });

    it('media.create: POST /media → MediaCreateResponse', async () => {
      const m = await call(
        'media.create',
        client.media.create({ title: 'My Video Example', alt: 'An example video', metadata: { k: 'v' } }),
        Media10,
      );
      expect(m).toMatchObject({ object: 'media', title: 'My Video Example', files: [], urls: {} });
      ids.emptyMedia = m.id;
      const bare = await call('media.create (no fields)', client.media.create(), Media10);
      ids.spareMedia = bare.id;
    });

    it('media.list: GET /media → array<MediaListResponseItem>', async () => {
      const list = await call('media.list', client.media.list(), Type.Array(Media10));
      expect(list.map((m: Body) => m.id).sort()).toEqual([ids.media, ids.emptyMedia, ids.spareMedia].sort());
      await call('media.list (page, limit)', client.media.list({ page: 1, limit: 1 }), Type.Array(Media10));
    });

    it('media.get: GET /media/{id} → MediaGetResponse with files and urls', async () => {
      const m = await call('media.get', client.media.get(ids.media), Media10);
      expect(m.kind).toBe('video');
      expect(Object.keys(m.urls).sort()).toEqual(['original', 'poster']);
    });

    it('media.update: PATCH /media/{id} → MediaUpdateResponse', async () => {
      const u = await call(
        'media.update',
        client.media.update(ids.media, { title: 'Updated', alt: 'Updated alt', metadata: { k: 'w' } }),
        Media10,
      );
      expect(u).toMatchObject({ title: 'Updated', alt: 'Updated alt', metadata: { k: 'w' } });
      await call('media.update (no fields)', client.media.update(ids.media), Media10);
    });

    it('tasks.create: POST /tasks (free-form request) → TasksCreateResponse', async () => {
      const created = await call(
        'tasks.create',
        client.tasks.create({
          file_id: ids.file,
          kind: 'image',
          width: 320,
          format: 'png',
          ref: 'thumbnail',
        }),
        Task10,
      );
      expect(created).toMatchObject({
        kind: 'image',
        status: 'pending',
        options: { width: 320, format: 'png' },
      });
      ids.task = created.id;
    });

    it('tasks.get: GET /tasks/{id} → TasksGetResponse, pending and completed', async () => {
      await call('tasks.get (pending)', client.tasks.get(ids.task), Task10);
      const engine = t.ctx.createWorker();
      try {
        await engine.runUntilIdle();
      } finally {
        await engine.stop();
      }
      const done = await call('tasks.get (completed)', client.tasks.get(ids.task), Task10);
      expect(done).toMatchObject({ status: 'completed', progress: 100 });
      expect(done.output).toMatchObject({ kind: 'image', width: 320, ref: 'thumbnail' });
    });

    it('tasks.list: GET /tasks → array<TasksListResponseItem>', async () => {
      const list = await call('tasks.list', client.tasks.list(), Type.Array(Task10));
      expect(list.map((x: Body) => x.id)).toContain(ids.task);
      await call('tasks.list (page, limit)', client.tasks.list({ page: 1, limit: 1 }), Type.Array(Task10));
    });

    it('signatures.create: POST /signatures → SignaturesCreateResponse', async () => {
      const expiry = Math.floor(Date.now() / 1000) + 600;
      const s = await call(
        'signatures.create',
        client.signatures.create({ filename: 'video.mp4', folder: 'example', expiry, method: 'get' }),
        Signature10,
      );
      expect(s).toMatchObject({ filename: 'video.mp4', folder: 'example', expiry, method: 'get' });
      await call(
        'signatures.create (filename only)',
        client.signatures.create({ filename: 'a.png' }),
        Signature10,
      );
    });

    // Automations: each answer must parse as the SDK's response model (the SDK's own example automation,
    // whose `description` step is accepted even before an AI provider is configured).
    it('automations.create: POST /automations → AutomationsCreateResponse', async () => {
      const res = await client.automations.create(AUTOMATION);
      expect(sendsVersionHeader(client.last())).toBe(!o.headerless.includes('automations.create'));
      const a = await automationCall('automations.create', client.last(), res, Automation10, 'bare');
      ids.automation = a?.id ?? 'auto_abcdefgh1234';
    });

    it('automations.list: GET /automations → array<AutomationsListResponseItem>', async () => {
      const res = await client.automations.list({ page: 1, limit: 10 });
      expect(sendsVersionHeader(client.last())).toBe(!o.headerless.includes('automations.list'));
      await automationCall('automations.list', client.last(), res, Type.Array(Automation10), 'bare');
    });

    it('automations.get: GET /automations/{id} → AutomationsGetResponse', async () => {
      const res = await client.automations.get(ids.automation);
      expect(sendsVersionHeader(client.last())).toBe(!o.headerless.includes('automations.get'));
      await automationCall('automations.get', client.last(), res, Automation10, 'bare');
    });

    it('automations.update: PATCH /automations/{id} → AutomationsUpdateResponse', async () => {
      const res = await client.automations.update(ids.automation, {
        name: 'My Updated Automation',
        workflow: [{ kind: 'image', ref: 'big_thumbnail' }],
        status: 'paused',
      });
      expect(sendsVersionHeader(client.last())).toBe(!o.headerless.includes('automations.update'));
      await automationCall('automations.update', client.last(), res, Automation10, 'bare');
    });

    it('automations.delete: DELETE /automations/{id} → AutomationsDeleteResponse', async () => {
      const res = await client.automations.delete(ids.automation);
      expect(sendsVersionHeader(client.last())).toBe(!o.headerless.includes('automations.delete'));
      await automationCall('automations.delete', client.last(), res, Delete10, 'bare');
    });

    it('errors: non-2xx with {message}, header-less calls included', async () => {
      const missing = await client.files.get('file_doesnotexist00');
      expect(missing.status).toBe(404);
      expect(missing.json).toMatchObject({ message: expect.any(String) });
      expect(missing.json).not.toHaveProperty('meta');
      const noKind = await client.tasks.create({ file_id: ids.file });
      expect(noKind.status).toBe(400);
      expect(noKind.json).toMatchObject({ message: expect.any(String) });
      expect(noKind.json).not.toHaveProperty('meta');
    });

    o.extra?.(() => ({ t, client, ids }));

    it('files.delete: DELETE /files/{id} → FilesDeleteResponse', async () => {
      expect(await call('files.delete', client.files.delete(ids.image), Delete10)).toEqual({
        message: `${ids.image} deleted`,
      });
      expect((await client.files.get(ids.image)).status).toBe(404);
    });

    it('media.delete: DELETE /media/{id} → MediaDeleteResponse', async () => {
      await call('media.delete (empty)', client.media.delete(ids.emptyMedia), Delete10);
      await call('media.delete (empty, no fields)', client.media.delete(ids.spareMedia), Delete10);
      expect(await call('media.delete (with files)', client.media.delete(ids.media), Delete10)).toEqual({
        message: `${ids.media} deleted`,
      });
      expect((await client.media.get(ids.media)).status).toBe(404);
    });
  });
}
