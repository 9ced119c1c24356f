// Wire conformance with the official Node SDK `@ittybit/sdk` 0.8.7 (G2 envelope, no version header by
// default), against a real mediary over HTTPS with a real worker.
//
// Every request below is what the SDK method sends, read from github.com/ittybit/sdk-node (search-tool
// code index; HEAD 03b1d9b4c02b8b9d954f25d17b0d0057b96b0fff = "Release 0.8.7"):
//   src/Client.ts @03b1d9b — default headers (X-Fern-*, User-Agent @ittybit/sdk/0.8.7, ACCEPT_VERSION only
//     when `version` is configured)
//   src/api/resources/{files,media,tasks}/client/Client.ts @03b1d9b — methods, paths (`encodeURIComponent(id)`),
//     `page`/`limit` query, JSON bodies with Content-Type: application/json, GET /tasks-config typed
//     `Record<string, unknown>` (not enveloped)
//   src/api/resources/signatures/client/Client.ts @5c835ff (0.8.0; not re-stored for 0.8.7) — POST /signatures
//   src/api/resources/files/client/requests/FilesCreateRequest.ts @f6c2842, FilesUpdateRequest.ts @479e87e,
//     signatures/client/requests/SignaturesCreateRequest.ts @130b4ea — request bodies
//   src/api/resources/automations/client/Client.ts @03b1d9b — list (page, limit), create (POST JSON), get,
//     delete, update (PATCH JSON) on /automations[/{id}]; AutomationResponse is enveloped like the others
//   tests/wire/files.test.ts @03b1d9b — the exact request JSON of files.create/update and the G2 bodies
//   src/api/types/{File_,MediaSource,Media,Task,TaskSummary,TaskStatus,FileObject,FileStatus,
//     MediaSourceObject,MediaSourceStatus,MediaSourceOrientation,MediaKind,MetaList,MetaListType,
//     FileListResponse,TaskResponse,SignatureResponse}.ts @f6c2842 (0.7.6, the last stored version; the 0.8.7
//     wire test bodies carry exactly these fields), Links.ts/LinksList.ts/ConfirmationResponse.ts @479e87e,
//     Signature.ts/TaskResults.ts/ConfirmationResponseData.ts @130b4ea — the response schemas below
// What the fetch stack adds (undici): accept */*, accept-language *, sec-fetch-mode cors, accept-encoding.
// Retries (core/fetcher/requestWithRetries.ts, spec §11.3): 408/429/5xx are retried, POSTs included, with
// no idempotency key — so creates must not require one and a replay must simply create again.
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

// ---- SDK types (src/api/types/*.ts), required = no `?` ------------------------------------------------

const FileKind = Enum(['video', 'image', 'audio']);
const FileObject = Enum(['source', 'track', 'intelligence']);
const FileStatus = Enum(['waiting', 'processing', 'ready', 'failed']);
const TaskStatus = Enum([
  'pending',
  'waiting',
  'processing',
  'ready',
  'completed',
  'failed',
  'error',
  'cancelled',
]);

const File_ = Type.Object({
  id: Type.String(),
  media_id: Type.String(),
  object: FileObject,
  kind: FileKind,
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

const MediaSource = Type.Object({
  id: Type.String(),
  object: FileObject,
  kind: FileKind,
  type: Type.String(),
  codec: Opt(Type.String()),
  container: Opt(Type.String()),
  width: Opt(Type.Integer()),
  height: Opt(Type.Integer()),
  orientation: Opt(Enum(['landscape', 'portrait', 'square'])),
  rotation: Opt(Type.Number()),
  transparency: Opt(Type.Boolean()),
  frames: Opt(Type.Integer()),
  duration: Opt(Type.Number()),
  fps: Opt(Type.Number()),
  filesize: Type.Integer(),
  bitrate: Opt(Type.Integer()),
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

const Media = Type.Object({
  id: Type.String(),
  object: Type.String(),
  kind: Opt(Enum(['video', 'image', 'audio'])),
  title: Opt(Type.String()),
  alt: Opt(Type.String()),
  width: Opt(Type.Integer()),
  height: Opt(Type.Integer()),
  duration: Opt(Type.Number()),
  files: Type.Array(MediaSource),
  urls: JsonObject,
  background: Opt(Type.String()),
  metadata: Opt(JsonObject),
  created: IsoDateTime,
  updated: IsoDateTime,
});

const TaskResults = Type.Object({
  passed: Opt(Type.Array(JsonObject)),
  failed: Opt(Type.Array(JsonObject)),
  continue: Opt(Type.Boolean()),
});

const Task = Type.Object({
  id: Type.String(),
  object: Type.String(),
  kind: Opt(Type.String()),
  input: Opt(JsonObject),
  options: Opt(JsonObject),
  output: Opt(JsonObject),
  status: TaskStatus,
  progress: Opt(Type.Integer()),
  error: Opt(Type.String()),
  created_by: Opt(Type.String()),
  created: IsoDateTime,
  updated: IsoDateTime,
  parent_id: Opt(Type.String()),
  workflow: Opt(Type.Array(Type.Unknown())),
  results: Opt(TaskResults),
});

const Signature = Type.Object({
  domain: Type.String(),
  filename: Type.String(),
  folder: Opt(Type.String()),
  expiry: Type.Integer(),
  method: Type.String(),
  signature: Type.String(),
  url: Type.String(),
});

const Confirmation = Type.Object({ message: Type.String() });

/** src/api/types/Automation.ts: id, trigger, workflow, status, created, updated required. */
const Automation = Type.Object({
  id: Type.String(),
  name: Opt(Type.String()),
  description: Opt(Type.String()),
  trigger: Type.Object({ kind: Type.String(), event: Opt(Type.String()) }),
  workflow: Type.Array(JsonObject),
  status: Enum(['active', 'paused']),
  created: IsoDateTime,
  updated: IsoDateTime,
});

const Meta = Type.Object({
  request_id: Opt(Type.String()),
  org_id: Opt(Type.String()),
  project_id: Opt(Type.String()),
  version: Opt(Type.String()),
  type: Opt(Type.Literal('object')),
});
const MetaList = Type.Object({
  request_id: Opt(Type.String()),
  org_id: Opt(Type.String()),
  project_id: Opt(Type.String()),
  version: Opt(Type.String()),
  type: Opt(Type.Literal('list')),
  limit: Opt(Type.Integer()),
  total: Opt(Type.Integer()),
  page: Opt(Type.Integer()),
  pages: Opt(Type.Integer()),
});
const Links = Type.Object({ self: Opt(Type.String()), parent: Opt(Type.String()) });
const LinksList = Type.Object({
  self: Opt(Type.String()),
  next: Opt(Type.String()),
  prev: Opt(Type.String()),
  parent: Opt(Type.String()),
  first: Opt(Type.String()),
  last: Opt(Type.String()),
});

/**
 * `*Response` = {meta?, data?, error?, links?}. The type makes every key optional, but an app reads
 * `.data`, and the G2 envelope always carries all four (spec §2.1), so they are required here.
 */
function ObjectResponse(data: TSchema) {
  return Type.Object({ meta: Meta, data, error: Type.Null(), links: Links });
}
function ListResponse(item: TSchema) {
  return Type.Object({ meta: MetaList, data: Type.Array(item), error: Type.Null(), links: LinksList });
}
const FileResponse = ObjectResponse(File_);
const FileListResponse = ListResponse(File_);
const MediaResponse = ObjectResponse(Media);
const MediaListResponse = ListResponse(Media);
const TaskResponse = ObjectResponse(Task);
const TaskListResponse = ListResponse(Task);
const SignatureResponse = ObjectResponse(Signature);
const ConfirmationResponse = ObjectResponse(Confirmation);
const AutomationResponse = ObjectResponse(Automation);
const AutomationListResponse = ListResponse(Automation);

// ---- the SDK's requests ---------------------------------------------------------------------------

interface Page {
  page?: number;
  limit?: number;
}

/** `new IttybitClient({ token, version?, environment })` as 0.8.7 builds its requests. */
class NodeSdk {
  /** the request sent last */
  last: WireRequest = { method: 'GET', path: '/', headers: {} };
  constructor(
    private readonly t: TestApp,
    private readonly opts: { token?: string; version?: string } = {},
  ) {}

  private call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    extra: { query?: Page; body?: unknown } = {},
  ): Promise<TestResponse> {
    const headers: Record<string, string> = {};
    // Fetcher: Content-Type only when there is a body
    if (extra.body !== undefined) headers['Content-Type'] = 'application/json';
    // mergeHeaders(client headers, {Authorization, ACCEPT_VERSION: requestOptions.version}, ...): undefined
    // values are dropped, so ACCEPT_VERSION only exists when the client was given a `version`
    if (this.opts.version !== undefined) headers.ACCEPT_VERSION = this.opts.version;
    Object.assign(headers, {
      'X-Fern-Language': 'JavaScript',
      'X-Fern-SDK-Name': '@ittybit/sdk',
      'X-Fern-SDK-Version': '0.8.7',
      'User-Agent': '@ittybit/sdk/0.8.7',
      'X-Fern-Runtime': 'node',
      'X-Fern-Runtime-Version': process.versions.node,
      Authorization: `Bearer ${this.opts.token ?? this.t.key}`,
      // added by undici's fetch
      accept: '*/*',
      'accept-language': '*',
      'sec-fetch-mode': 'cors',
      'accept-encoding': 'gzip, deflate',
    });
    const query = extra.query && {
      page: extra.query.page?.toString(),
      limit: extra.query.limit?.toString(),
    };
    this.last = {
      method,
      path,
      query,
      headers,
      body: extra.body === undefined ? undefined : JSON.stringify(extra.body),
    };
    return send(this.t, this.last);
  }

  files = {
    list: (request: Page = {}) => this.call('GET', '/files', { query: request }),
    create: (request: Record<string, unknown>) => this.call('POST', '/files', { body: request }),
    get: (id: string) => this.call('GET', `/files/${encodeURIComponent(id)}`),
    delete: (id: string) => this.call('DELETE', `/files/${encodeURIComponent(id)}`),
    update: (id: string, request: Record<string, unknown> = {}) =>
      this.call('PATCH', `/files/${encodeURIComponent(id)}`, { body: request }),
  };

  media = {
    list: (request: Page = {}) => this.call('GET', '/media', { query: request }),
    create: (request: Record<string, unknown> = {}) => this.call('POST', '/media', { body: request }),
    get: (id: string) => this.call('GET', `/media/${encodeURIComponent(id)}`),
    delete: (id: string) => this.call('DELETE', `/media/${encodeURIComponent(id)}`),
    update: (id: string, request: Record<string, unknown> = {}) =>
      this.call('PATCH', `/media/${encodeURIComponent(id)}`, { body: request }),
  };

  tasks = {
    list: (request: Page = {}) => this.call('GET', '/tasks', { query: request }),
    create: (request?: unknown) => this.call('POST', '/tasks', { body: request }),
    get: (id: string) => this.call('GET', `/tasks/${encodeURIComponent(id)}`),
    getTaskConfig: () => this.call('GET', '/tasks-config'),
  };

  signatures = {
    create: (request: Record<string, unknown>) => this.call('POST', '/signatures', { body: request }),
  };

  // src/api/resources/automations/client/Client.ts @03b1d9b: same headers; create/update send JSON
  automations = {
    list: (request: Page = {}) => this.call('GET', '/automations', { query: request }),
    create: (request: Record<string, unknown>) => this.call('POST', '/automations', { body: request }),
    get: (id: string) => this.call('GET', `/automations/${encodeURIComponent(id)}`),
    delete: (id: string) => this.call('DELETE', `/automations/${encodeURIComponent(id)}`),
    update: (id: string, request: Record<string, unknown> = {}) =>
      this.call('PATCH', `/automations/${encodeURIComponent(id)}`, { body: request }),
  };
}

// ---- the suite ------------------------------------------------------------------------------------

let fx: Fixtures;
let server: MediaServer;
beforeAll(async () => {
  fx = await makeFixtures();
  server = await startMediaServer({ 'sample.mp4': fx.mp4, 'pixel.png': fx.png });
});
afterAll(async () => {
  await server?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: wire JSON, checked against the schemas above
type Body = any;

/** Sends through the SDK shape and checks the parse; returns the body as the SDK would. */
async function sdk(label: string, call: Promise<TestResponse>, schema: TSchema): Promise<Body> {
  const body = sdkSuccess(label, await call);
  expectShape(label, schema, body);
  return body;
}

describe.each(testDatabases())('@ittybit/sdk 0.8.7 wire conformance (%s)', (db) => {
  let t: TestApp;
  let client: NodeSdk;
  const ids = { file: '', media: '', emptyMedia: '', task: '' };

  beforeAll(async () => {
    // the server's stock default version (2025-07-01): what an SDK sending no version header gets
    t = await startTestApp({ db, env: { MEDIARY_DEFAULT_VERSION: '' } });
    client = new NodeSdk(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('files.create: POST /files with the wire-test body → FileResponse', async () => {
    const res = await sdk(
      'files.create',
      client.files.create({
        url: `${server.url}/sample.mp4`,
        folder: 'ittybit/samples',
        filename: 'video.mp4',
        metadata: { customKey2: 'a different custom value' },
      }),
      FileResponse,
    );
    expect(res.meta.type).toBe('object');
    expect(res.meta.version).toBe('2025-07-01');
    expect(res.data).toMatchObject({
      object: 'source',
      kind: 'video',
      folder: 'ittybit/samples',
      filename: 'video.mp4',
      metadata: { customKey2: 'a different custom value' },
      status: 'ready',
    });
    expect(res.data.url).toMatch(/\/ittybit\/samples\/video\.mp4$/);
    expect(res.links.self).toBe(`${t.config.publicUrl}/files/${res.data.id}`);
    ids.file = res.data.id;
    ids.media = res.data.media_id;
  });

  it('files.list: GET /files (no query, then page & limit) → FileListResponse', async () => {
    const all = await sdk('files.list()', client.files.list(), FileListResponse);
    expect(all.meta).toMatchObject({ type: 'list', page: 1, limit: 20, total: 1, pages: 1 });
    expect(all.data.map((f: Body) => f.id)).toEqual([ids.file]);
    const paged = await sdk(
      'files.list({page, limit})',
      client.files.list({ page: 1, limit: 1 }),
      FileListResponse,
    );
    expect(paged.meta).toMatchObject({ page: 1, limit: 1 });
    const past = await sdk('files.list({page: 9})', client.files.list({ page: 9 }), FileListResponse);
    expect(past.data).toEqual([]);
  });

  it('files.get: GET /files/{id} → FileResponse', async () => {
    const res = await sdk('files.get', client.files.get(ids.file), FileResponse);
    expect(res.data.id).toBe(ids.file);
  });

  it('files.update: PATCH /files/{id} with the wire-test body → FileResponse with the new url', async () => {
    const res = await sdk(
      'files.update',
      client.files.update(ids.file, {
        folder: 'updated/folder',
        filename: 'new_filename.mp4',
        metadata: { customKey2: 'a different custom value' },
      }),
      FileResponse,
    );
    expect(res.data).toMatchObject({ folder: 'updated/folder', filename: 'new_filename.mp4' });
    expect(res.data.url).toMatch(/\/updated\/folder\/new_filename\.mp4$/);
    // update(id) with no fields sends `{}`
    await sdk('files.update(id)', client.files.update(ids.file), FileResponse);
  });

  it('media.create: POST /media {title, alt, metadata} → MediaResponse (empty media)', async () => {
    const res = await sdk(
      'media.create',
      client.media.create({
        title: 'My Video Example',
        alt: 'An example video used to demonstrate the ittybit API',
        metadata: { customKey2: 'a different custom value' },
      }),
      MediaResponse,
    );
    expect(res.data).toMatchObject({ object: 'media', title: 'My Video Example', files: [], urls: {} });
    ids.emptyMedia = res.data.id;
    // create() with no argument sends `{}`
    const bare = await sdk('media.create()', client.media.create(), MediaResponse);
    await sdk('media.delete', client.media.delete(bare.data.id), ConfirmationResponse);
  });

  it('media.list / media.get / media.update → Media with files and urls', async () => {
    const list = await sdk('media.list()', client.media.list(), MediaListResponse);
    expect(list.meta).toMatchObject({ type: 'list', total: 2 });
    await sdk('media.list({page, limit})', client.media.list({ page: 2, limit: 1 }), MediaListResponse);
    const got = await sdk('media.get', client.media.get(ids.media), MediaResponse);
    expect(got.data.kind).toBe('video');
    expect(got.data.files.map((f: Body) => f.id)).toEqual([ids.file]);
    expect(got.data.urls.original).toBe(got.data.files[0].url);
    const upd = await sdk(
      'media.update',
      client.media.update(ids.media, {
        title: 'Updated Video Example',
        alt: 'An updated example video used to demonstrate the ittybit API',
        metadata: { customKey2: 'a different custom value' },
      }),
      MediaResponse,
    );
    expect(upd.data).toMatchObject({ title: 'Updated Video Example' });
    await sdk('media.update(id)', client.media.update(ids.media), MediaResponse);
  });

  it('tasks.create → tasks.get → (worker) → tasks.get completed → tasks.list', async () => {
    const created = await sdk(
      'tasks.create',
      client.tasks.create({ file_id: ids.file, kind: 'image', width: 320, format: 'png', ref: 'thumbnail' }),
      TaskResponse,
    );
    expect(created.data).toMatchObject({
      object: 'task',
      kind: 'image',
      status: 'pending',
      options: { width: 320, format: 'png', ref: 'thumbnail' },
    });
    ids.task = created.data.id;
    await sdk('tasks.get (pending)', client.tasks.get(ids.task), TaskResponse);

    const engine = t.ctx.createWorker();
    try {
      await engine.runUntilIdle();
    } finally {
      await engine.stop();
    }
    const done = await sdk('tasks.get (completed)', client.tasks.get(ids.task), TaskResponse);
    expect(done.data.status).toBe('completed');
    expect(done.data.progress).toBe(100);
    expect(done.data.output).toMatchObject({
      kind: 'image',
      type: 'image/png',
      width: 320,
      ref: 'thumbnail',
    });
    // the output File as the SDK would read it from files.get
    await sdk('files.get (task output)', client.files.get(done.data.output.id), FileResponse);

    const list = await sdk('tasks.list()', client.tasks.list(), TaskListResponse);
    expect(list.data.map((x: Body) => x.id)).toContain(ids.task);
    await sdk('tasks.list({page, limit})', client.tasks.list({ page: 1, limit: 5 }), TaskListResponse);
    const media = await sdk('media.get (with output)', client.media.get(ids.media), MediaResponse);
    expect(Object.keys(media.data.urls).sort()).toEqual(['original', 'thumbnail']);
  });

  it('a failed task (url input that 404s) still parses: status failed, error string, output null', async () => {
    const created = await sdk(
      'tasks.create (url)',
      client.tasks.create({ url: `${server.url}/missing.mp4`, kind: 'image', format: 'jpeg' }),
      TaskResponse,
    );
    expect(created.data.input).toMatchObject({ url: `${server.url}/missing.mp4` });
    const engine = t.ctx.createWorker();
    try {
      await engine.runUntilIdle();
    } finally {
      await engine.stop();
    }
    const failed = await sdk('tasks.get (failed)', client.tasks.get(created.data.id), TaskResponse);
    expect(failed.data.status).toBe('failed');
    expect(failed.data.error).toEqual(expect.any(String));
    expect(failed.data.output ?? null).toBeNull();
  });

  it('tasks.getTaskConfig: GET /tasks-config → a bare record, never enveloped', async () => {
    const config = sdkSuccess('tasks.getTaskConfig', await client.tasks.getTaskConfig()) as Body;
    expectShape('tasks.getTaskConfig', JsonObject, config);
    expect(config).not.toHaveProperty('meta');
    expect(config).not.toHaveProperty('data');
    expect(Object.keys(config)).toEqual(expect.arrayContaining(['image', 'video']));
  });

  it('signatures.create: POST /signatures → SignatureResponse', async () => {
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    const res = await sdk(
      'signatures.create',
      client.signatures.create({ filename: 'video.mp4', folder: 'example', expiry, method: 'put' }),
      SignatureResponse,
    );
    expect(res.data).toMatchObject({ filename: 'video.mp4', folder: 'example', expiry, method: 'put' });
    expect(res.data.url).toContain(`/example/video.mp4?`);
    await sdk(
      'signatures.create({filename})',
      client.signatures.create({ filename: 'a.png' }),
      SignatureResponse,
    );
  });

  it('ACCEPT_VERSION as the SDK sends it when configured still yields the G2 envelope', async () => {
    // the SDK's own wire tests build the client with version: "test"
    const withTest = new NodeSdk(t, { version: 'test' });
    const a = await sdk('files.get (ACCEPT_VERSION: test)', withTest.files.get(ids.file), FileResponse);
    expect(a.meta.version).toBe('2025-07-01');
    const withDate = new NodeSdk(t, { version: '2025-01-01' });
    const b = await sdk('media.list (ACCEPT_VERSION: 2025-01-01)', withDate.media.list(), MediaListResponse);
    expect(b.meta.version).toBe('2025-01-01');
  });

  it('errors: non-2xx with a JSON body (the SDK throws IttybitError{statusCode, body})', async () => {
    const missing = await client.files.get('file_doesnotexist00');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ data: null, error: { message: expect.any(String) } });
    const badKey = await new NodeSdk(t, { token: 'not-a-key' }).files.list();
    expect(badKey.status).toBe(401);
    expect(badKey.json?.error?.message).toEqual(expect.any(String));
  });

  it('retries: a replayed POST needs no Idempotency-Key and simply creates again', async () => {
    const body = { title: 'retried' };
    const first = await sdk('media.create (try 1)', client.media.create(body), MediaResponse);
    const second = await sdk('media.create (retry)', client.media.create(body), MediaResponse);
    expect(second.data.id).not.toBe(first.data.id);
    for (const id of [first.data.id, second.data.id]) {
      await sdk('media.delete', client.media.delete(id), ConfirmationResponse);
    }
  });

  // Automations: each answer must parse as AutomationResponse / AutomationListResponse /
  // ConfirmationResponse in the G2 envelope.
  const automation = {
    name: 'My Example Automation',
    description: 'This workflow will run whenever new media is created.',
    trigger: { kind: 'event', event: 'media.created' },
    workflow: [{ kind: 'description' }, { kind: 'image', ref: 'thumbnail' }],
    status: 'active',
  };
  let automationId = 'auto_abcdefgh1234';

  it('automations.create: POST /automations → AutomationResponse', async () => {
    const res = await client.automations.create(automation);
    const a = await automationCall('automations.create', client.last, res, AutomationResponse, 'envelope');
    if (a) automationId = a.data.id;
  });

  it('automations.list: GET /automations → AutomationListResponse', async () => {
    const res = await client.automations.list({ page: 1, limit: 10 });
    await automationCall('automations.list', client.last, res, AutomationListResponse, 'envelope');
  });

  it('automations.get: GET /automations/{id} → AutomationResponse', async () => {
    const res = await client.automations.get(automationId);
    await automationCall('automations.get', client.last, res, AutomationResponse, 'envelope');
  });

  it('automations.update: PATCH /automations/{id} → AutomationResponse', async () => {
    const res = await client.automations.update(automationId, {
      name: 'My Updated Automation',
      status: 'paused',
    });
    await automationCall('automations.update', client.last, res, AutomationResponse, 'envelope');
  });

  it('automations.delete: DELETE /automations/{id} → ConfirmationResponse', async () => {
    const res = await client.automations.delete(automationId);
    await automationCall('automations.delete', client.last, res, ConfirmationResponse, 'envelope');
  });

  it('files.delete / media.delete → ConfirmationResponse', async () => {
    const f = await sdk('files.delete', client.files.delete(ids.file), ConfirmationResponse);
    expect(f.data.message).toBe(`${ids.file} deleted`);
    expect((await client.files.get(ids.file)).status).toBe(404);
    const m = await sdk('media.delete', client.media.delete(ids.emptyMedia), ConfirmationResponse);
    expect(m.data.message).toBe(`${ids.emptyMedia} deleted`);
    await sdk('media.delete (with files)', client.media.delete(ids.media), ConfirmationResponse);
    expect((await client.media.get(ids.media)).status).toBe(404);
  });
});
