// Wire conformance with the official Python SDK `ittybit` 1.0.0 (G3: bare objects and arrays;
// `Accept-Version: 2025-08-20` on every call but automations.create), against a real mediary over HTTPS with a real worker.
//
// Sources (search-tool code index): the 1.0.0 sdist as mirrored in pypi-data/pypi-mirror-371 @846ddd6,
// under packages/ittybit/ittybit-1.0.0.tar.gz/ittybit-1.0.0/src/ittybit/ (same tree as
// github.com/ittybit/sdk-python "Release 1.0.0" 0894618, whose 1.0 files the index does not hold):
//   core/client_wrapper.py — base headers: User-Agent ittybit/1.0.0, X-Fern-Language Python,
//     X-Fern-SDK-Name ittybit, X-Fern-SDK-Version 1.0.0, ACCEPT_VERSION only when `version` is given,
//     Authorization: Bearer
//   files/raw_client.py, media/raw_client.py, tasks/raw_client.py, signatures/raw_client.py — methods,
//     paths, `page`/`limit` params (None dropped), JSON bodies built from the keyword args with OMIT
//     defaults (so only given args are sent), per-call headers {content-type: application/json (bodies),
//     Accept-Version: 2025-08-20}, and `construct_type` parses of bare objects / `typing.List[...]`
//   files/types/files_get_response.py, files_create_response.py, files_delete_response.py,
//     files_get_response_kind.py; media/types/media_get_response.py, media_create_response.py,
//     media_get_response_files_item.py; types/media_list_response.py, types/task.py,
//     tasks/requests/tasks_create_response.py, tasks/types/tasks_create_response_status.py;
//     signatures/types/signatures_create_response.py — the response models below (required = no default)
// Not in 1.0: tasks.get_task_config (GET /tasks-config was dropped from Python/PHP 1.0, spec App. C).
// Fern's Python http_client sends no body at all when every optional argument is omitted (e.g.
// media.create(); fern-api/fern#7178, opened 2025-05 against the generator 1.0 was built with); httpx then
// sends Content-Length: 0 for POST/PATCH, still with content-type: application/json.
// httpx adds accept */*, accept-encoding gzip, deflate, connection keep-alive.
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

// ---- SDK models (pydantic UncheckedBaseModel; `X` required, `Optional[X] = None` optional) -------------

const FileObject = Enum(['source', 'track', 'intelligence']);
const FileStatus = Enum(['waiting', 'processing', 'ready', 'failed']);
/** typing.Union[typing.Literal["video", "image", "audio"], typing.Any] */
const FileKind = Type.String();

const FilesGetResponse = Type.Object({
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
// FilesCreateResponse, FilesUpdateResponse and FilesListResponseItem carry the same fields
const FilesListResponse = Type.Array(FilesGetResponse);

const MediaGetResponseFilesItem = Type.Object({
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

const MediaGetResponse = Type.Object({
  id: Type.String(),
  object: Type.String(),
  kind: Opt(Type.String()),
  title: Opt(Type.String()),
  alt: Opt(Type.String()),
  width: Opt(Type.Integer()),
  height: Opt(Type.Integer()),
  duration: Opt(Type.Number()),
  files: Type.Array(MediaGetResponseFilesItem),
  urls: JsonObject,
  background: Opt(Type.String()),
  metadata: Opt(JsonObject),
  created: IsoDateTime,
  updated: IsoDateTime,
});
const MediaListResponse = Type.Array(MediaGetResponse);

const Task = Type.Object({
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
  results: Opt(
    Type.Object({
      passed: Opt(Type.Array(JsonObject)),
      failed: Opt(Type.Array(JsonObject)),
      continue: Opt(Type.Boolean()),
    }),
  ),
});
const TasksListResponse = Type.Array(Task);

const SignaturesCreateResponse = Type.Object({
  domain: Type.String(),
  filename: Type.String(),
  folder: Opt(Type.String()),
  expiry: Type.Integer(),
  method: Type.String(),
  signature: Type.String(),
  url: Type.String(),
});

/** automations/types/automations_get_response.py: id, trigger, workflow, status, created, updated required */
const AutomationsGetResponse = Type.Object({
  id: Type.String(),
  name: Opt(Type.String()),
  description: Opt(Type.String()),
  trigger: Type.Object({ kind: Type.String(), event: Opt(Type.String()) }),
  workflow: Type.Array(JsonObject),
  status: Enum(['active', 'paused']),
  created: IsoDateTime,
  updated: IsoDateTime,
});

/** FilesDeleteResponse / MediaDeleteResponse: `message: Optional[str] = None` (the docs always send it). */
const DeleteResponse = Type.Object({ message: Type.String() });

// ---- the SDK's requests ---------------------------------------------------------------------------

type Args = Record<string, unknown>;

/** `Ittybit(token=..., version=None, base_url=...)` as 1.0.0 builds its requests. */
class PythonSdk {
  /** the request sent last */
  last: WireRequest = { method: 'GET', path: '/', headers: {} };
  constructor(
    private readonly t: TestApp,
    private readonly opts: { version?: string } = {},
  ) {}

  private call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    extra: { params?: Args; json?: Args | null; noVersion?: boolean } = {},
  ): Promise<TestResponse> {
    const headers: Record<string, string> = {
      // httpx defaults
      accept: '*/*',
      'accept-encoding': 'gzip, deflate',
      connection: 'keep-alive',
      // client_wrapper.get_headers()
      'User-Agent': 'ittybit/1.0.0',
      'X-Fern-Language': 'Python',
      'X-Fern-SDK-Name': 'ittybit',
      'X-Fern-SDK-Version': '1.0.0',
    };
    if (this.opts.version !== undefined) headers.ACCEPT_VERSION = this.opts.version;
    headers.Authorization = `Bearer ${this.t.key}`;
    // per-call headers in raw_client.py
    const hasJson = extra.json !== undefined;
    if (hasJson) headers['content-type'] = 'application/json';
    if (!extra.noVersion) headers['Accept-Version'] = '2025-08-20';

    const params: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(extra.params ?? {})) if (v != null) params[k] = String(v);
    let body: string | undefined;
    if (hasJson) {
      // OMIT-ted args are absent; an empty object is sent as no body at all
      const json = extra.json ?? {};
      body = Object.keys(json).length ? JSON.stringify(json) : '';
    } else if (method === 'POST' || method === 'PATCH') {
      body = '';
    }
    this.last = { method, path, query: params, headers, body };
    return send(this.t, this.last);
  }

  files = {
    list: (a: { page?: number; limit?: number } = {}) =>
      this.call('GET', '/files', { params: { page: a.page, limit: a.limit } }),
    create: (a: {
      url: string;
      media_id?: string;
      folder?: string;
      filename?: string;
      ref?: string;
      metadata?: Args;
    }) => this.call('POST', '/files', { json: a }),
    get: (id: string) => this.call('GET', `/files/${id}`),
    delete: (id: string) => this.call('DELETE', `/files/${id}`),
    update: (id: string, a: { folder?: string; filename?: string; ref?: string; metadata?: Args } = {}) =>
      this.call('PATCH', `/files/${id}`, { json: a }),
  };

  media = {
    list: (a: { page?: number; limit?: number } = {}) =>
      this.call('GET', '/media', { params: { page: a.page, limit: a.limit } }),
    create: (a: { title?: string; alt?: string; metadata?: Args } = {}) =>
      this.call('POST', '/media', { json: a }),
    get: (id: string) => this.call('GET', `/media/${id}`),
    delete: (id: string) => this.call('DELETE', `/media/${id}`),
    update: (id: string, a: { title?: string; alt?: string; metadata?: Args } = {}) =>
      this.call('PATCH', `/media/${id}`, { json: a }),
  };

  tasks = {
    list: (a: { page?: number; limit?: number } = {}) =>
      this.call('GET', '/tasks', { params: { page: a.page, limit: a.limit } }),
    /** `request: typing.Optional[typing.Any] = None` is sent as the JSON body */
    create: (request: Args | null = null) => this.call('POST', '/tasks', { json: request }),
    get: (id: string) => this.call('GET', `/tasks/${id}`),
  };

  signatures = {
    create: (a: { filename: string; folder?: string; expiry?: number; method?: 'get' | 'put' }) =>
      this.call('POST', '/signatures', { json: a }),
  };

  // automations/raw_client.py (as Ruby 1.0's automations/client.rb @0428390, same generator run): every
  // call sends Accept-Version except create, the one header-less call of the Python SDK (issue 8 A)
  automations = {
    list: (a: { page?: number; limit?: number } = {}) =>
      this.call('GET', '/automations', { params: { page: a.page, limit: a.limit } }),
    create: (a: Args) => this.call('POST', '/automations', { json: a, noVersion: true }),
    get: (id: string) => this.call('GET', `/automations/${id}`),
    delete: (id: string) => this.call('DELETE', `/automations/${id}`),
    update: (id: string, a: Args = {}) => this.call('PATCH', `/automations/${id}`, { json: a }),
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

async function sdk(label: string, call: Promise<TestResponse>, schema: TSchema): Promise<Body> {
  const body = sdkSuccess(label, await call);
  expectShape(label, schema, body);
  return body;
}

describe.each(testDatabases())('ittybit (Python) 1.0.0 wire conformance (%s)', (db) => {
  let t: TestApp;
  let client: PythonSdk;
  const ids = { file: '', image: '', media: '', emptyMedia: '', task: '' };

  beforeAll(async () => {
    // stock default version (2025-07-01): the SDK's own Accept-Version must select G3 regardless
    t = await startTestApp({ db, env: { MEDIARY_DEFAULT_VERSION: '' } });
    client = new PythonSdk(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('files.create: POST /files → FilesCreateResponse (bare)', async () => {
    const f = await sdk(
      'files.create',
      client.files.create({
        url: `${server.url}/sample.mp4`,
        folder: 'ittybit/samples',
        filename: 'video.mp4',
        metadata: { customKey2: 'a different custom value' },
      }),
      FilesGetResponse,
    );
    expect(f).toMatchObject({ object: 'source', kind: 'video', status: 'ready', filename: 'video.mp4' });
    expect(f).not.toHaveProperty('meta');
    expect(f.url).toMatch(/\/ittybit\/samples\/video\.mp4$/);
    ids.file = f.id;
    ids.media = f.media_id;
    // into the same media, with a ref
    const img = await sdk(
      'files.create (media_id, ref)',
      client.files.create({ url: `${server.url}/pixel.png`, media_id: ids.media, ref: 'poster' }),
      FilesGetResponse,
    );
    expect(img).toMatchObject({ media_id: ids.media, kind: 'image', ref: 'poster' });
    ids.image = img.id;
  });

  it('files.list: GET /files → typing.List[FilesListResponseItem]', async () => {
    const all = await sdk('files.list()', client.files.list(), FilesListResponse);
    expect(all.map((f: Body) => f.id).sort()).toEqual([ids.file, ids.image].sort());
    const one = await sdk(
      'files.list(page, limit)',
      client.files.list({ page: 2, limit: 1 }),
      FilesListResponse,
    );
    expect(one).toHaveLength(1);
    expect(await sdk('files.list(page=9)', client.files.list({ page: 9 }), FilesListResponse)).toEqual([]);
  });

  it('files.get / files.update → FilesGetResponse / FilesUpdateResponse', async () => {
    const f = await sdk('files.get', client.files.get(ids.file), FilesGetResponse);
    expect(f.id).toBe(ids.file);
    const u = await sdk(
      'files.update',
      client.files.update(ids.file, {
        folder: 'updated/folder',
        filename: 'new_filename.mp4',
        ref: 'main',
        metadata: { customKey2: 'changed' },
      }),
      FilesGetResponse,
    );
    expect(u).toMatchObject({ folder: 'updated/folder', filename: 'new_filename.mp4', ref: 'main' });
    expect(u.url).toMatch(/\/updated\/folder\/new_filename\.mp4$/);
    // update(id) with no keyword arguments sends no body
    await sdk('files.update(id) — empty body', client.files.update(ids.file), FilesGetResponse);
  });

  it('media.create: POST /media, with arguments and with none (empty body) → MediaCreateResponse', async () => {
    const m = await sdk(
      'media.create',
      client.media.create({ title: 'My Video Example', alt: 'An example', metadata: { customKey2: 'x' } }),
      MediaGetResponse,
    );
    expect(m).toMatchObject({ object: 'media', title: 'My Video Example', files: [], urls: {} });
    ids.emptyMedia = m.id;
    const bare = await sdk('media.create() — empty body', client.media.create(), MediaGetResponse);
    expect(bare.files).toEqual([]);
    expect(await sdk('media.delete', client.media.delete(bare.id), DeleteResponse)).toEqual({
      message: `${bare.id} deleted`,
    });
  });

  it('media.list / media.get / media.update → Media with files and urls', async () => {
    const list = await sdk('media.list()', client.media.list(), MediaListResponse);
    expect(list.map((m: Body) => m.id).sort()).toEqual([ids.media, ids.emptyMedia].sort());
    await sdk('media.list(page, limit)', client.media.list({ page: 1, limit: 1 }), MediaListResponse);
    const m = await sdk('media.get', client.media.get(ids.media), MediaGetResponse);
    expect(m.kind).toBe('video');
    expect(Object.keys(m.urls).sort()).toEqual(['main', 'poster']);
    const u = await sdk(
      'media.update',
      client.media.update(ids.media, { title: 'Updated', alt: 'Updated alt', metadata: { k: 'v' } }),
      MediaGetResponse,
    );
    expect(u).toMatchObject({ title: 'Updated', alt: 'Updated alt', metadata: { k: 'v' } });
    await sdk('media.update(id) — empty body', client.media.update(ids.media), MediaGetResponse);
  });

  it('tasks.create(request=...) → tasks.get → (worker) → tasks.get → tasks.list', async () => {
    const created = await sdk(
      'tasks.create',
      client.tasks.create({ file_id: ids.file, kind: 'image', width: 320, format: 'png', ref: 'thumbnail' }),
      Task,
    );
    expect(created).toMatchObject({
      kind: 'image',
      status: 'pending',
      options: { width: 320, format: 'png' },
    });
    ids.task = created.id;
    await sdk('tasks.get (pending)', client.tasks.get(ids.task), Task);

    const engine = t.ctx.createWorker();
    try {
      await engine.runUntilIdle();
    } finally {
      await engine.stop();
    }
    const done = await sdk('tasks.get (completed)', client.tasks.get(ids.task), Task);
    expect(done).toMatchObject({ status: 'completed', progress: 100 });
    expect(done.output).toMatchObject({ kind: 'image', type: 'image/png', width: 320, ref: 'thumbnail' });

    const list = await sdk('tasks.list()', client.tasks.list(), TasksListResponse);
    expect(list.map((x: Body) => x.id)).toContain(ids.task);
    await sdk('tasks.list(page, limit)', client.tasks.list({ page: 1, limit: 1 }), TasksListResponse);
  });

  it('a failed task (url input that 404s) still parses: status failed, error string', async () => {
    const created = await sdk(
      'tasks.create (url)',
      client.tasks.create({ url: `${server.url}/missing.mp4`, kind: 'image' }),
      Task,
    );
    const engine = t.ctx.createWorker();
    try {
      await engine.runUntilIdle();
    } finally {
      await engine.stop();
    }
    const failed = await sdk('tasks.get (failed)', client.tasks.get(created.id), Task);
    expect(failed).toMatchObject({ status: 'failed', error: expect.any(String) });
    await sdk('tasks.list (with a failed task)', client.tasks.list(), TasksListResponse);
  });

  it('signatures.create → SignaturesCreateResponse', async () => {
    const expiry = Math.floor(Date.now() / 1000) + 600;
    const s = await sdk(
      'signatures.create',
      client.signatures.create({ filename: 'video.mp4', folder: 'example', expiry, method: 'get' }),
      SignaturesCreateResponse,
    );
    expect(s).toMatchObject({ filename: 'video.mp4', folder: 'example', expiry, method: 'get' });
    await sdk(
      'signatures.create(filename)',
      client.signatures.create({ filename: 'a.png' }),
      SignaturesCreateResponse,
    );
  });

  it('Ittybit(version=...) adds ACCEPT_VERSION, but the hard-coded Accept-Version: 2025-08-20 wins', async () => {
    const older = new PythonSdk(t, { version: '2025-07-01' });
    const f = await sdk('files.get (ACCEPT_VERSION 2025-07-01)', older.files.get(ids.file), FilesGetResponse);
    expect(f).not.toHaveProperty('meta');
    await sdk('media.list (ACCEPT_VERSION 2025-07-01)', older.media.list(), MediaListResponse);
  });

  it('errors: non-2xx with a JSON body (ApiError(status_code, body))', async () => {
    const missing = await client.files.get('file_doesnotexist00');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ message: expect.any(String) });
    const noKind = await client.tasks.create({ file_id: ids.file });
    expect(noKind.status).toBe(400);
    expect(noKind.json).toMatchObject({ message: expect.any(String) });
  });

  // Automations: each answer must parse as the AutomationsGetResponse model. automations.create sends no
  // version header, so it relies on the SDK detection (X-Fern-SDK-Version 1.0.0) for the bare shape.
  let automationId = 'auto_abcdefgh1234';

  it('automations.create (no Accept-Version) → AutomationsCreateResponse', async () => {
    const res = await client.automations.create({
      name: 'My Example Automation',
      trigger: { kind: 'event', event: 'media.created' },
      workflow: [{ kind: 'description' }, { kind: 'image', ref: 'thumbnail' }],
      status: 'active',
    });
    expect(client.last.headers).not.toHaveProperty('Accept-Version');
    const a = await automationCall('automations.create', client.last, res, AutomationsGetResponse, 'bare');
    if (a) automationId = a.id;
  });

  it('automations.list → typing.List[AutomationsListResponseItem]', async () => {
    const res = await client.automations.list({ page: 1, limit: 10 });
    await automationCall('automations.list', client.last, res, Type.Array(AutomationsGetResponse), 'bare');
  });

  it('automations.get → AutomationsGetResponse', async () => {
    const res = await client.automations.get(automationId);
    await automationCall('automations.get', client.last, res, AutomationsGetResponse, 'bare');
  });

  it('automations.update → AutomationsUpdateResponse', async () => {
    const res = await client.automations.update(automationId, { name: 'My Updated Automation' });
    await automationCall('automations.update', client.last, res, AutomationsGetResponse, 'bare');
  });

  it('automations.delete → AutomationsDeleteResponse', async () => {
    const res = await client.automations.delete(automationId);
    await automationCall('automations.delete', client.last, res, DeleteResponse, 'bare');
  });

  it('files.delete / media.delete → {message}', async () => {
    expect(await sdk('files.delete', client.files.delete(ids.image), DeleteResponse)).toEqual({
      message: `${ids.image} deleted`,
    });
    expect((await client.files.get(ids.image)).status).toBe(404);
    await sdk('media.delete (empty)', client.media.delete(ids.emptyMedia), DeleteResponse);
    await sdk('media.delete (with files)', client.media.delete(ids.media), DeleteResponse);
    expect((await client.media.get(ids.media)).status).toBe(404);
  });
});
