// Response schemas drive serialization, and fast-json-stringify silently drops what a schema doesn't list
// (and turns a null into "" where the type forbids it). Every serializer's output, with every optional field
// present and with the nullable ones null, must come out of its schema byte for byte as JSON.stringify
// writes it: a field added to a serializer but not to wire-schemas.ts fails here.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  AutomationWire,
  EventWire,
  FileWire,
  ListResponse,
  MediaWire,
  ObjectResponse,
  ProjectSettingsWire,
  SignatureWire,
  TasksConfigWire,
  TaskWire,
  WebhookDeliveryWire,
} from '../../src/http/wire-schemas.js';
import { automationToWire } from '../../src/services/automations.service.js';
import { eventToWire } from '../../src/services/events.service.js';
import { Serializer } from '../../src/services/serializers.js';
import { deliveryToWire } from '../../src/services/webhooks.service.js';
import type { FileRow, MediaRow } from '../../src/store/media.repository.js';
import type { TaskRow } from '../../src/store/tasks.repository.js';
import type { DeliveryRow } from '../../src/store/webhooks.repository.js';

const serializer = new Serializer('https://localhost:8444');
const ts = '2025-01-02T03:04:05.678Z';

// Rows are cast: columns the serializers don't read may come and go without touching this test.
/** A file row with every column set, so every optional wire field is present. */
const fullFile = {
  id: 'file_0123456789abcdef',
  project_id: 'prj_0123456789abcdef',
  media_id: 'med_0123456789abcdef',
  object: 'source',
  kind: 'video',
  type: 'video/mp4',
  codec: 'h264',
  container: 'mp4',
  width: 640,
  height: 360,
  orientation: 'landscape',
  rotation: 90,
  transparency: 0,
  animated: 1,
  frames: 250,
  duration: 10.01,
  fps: 29.97,
  filesize: 123456,
  bitrate: 98664.5,
  language: 'en',
  label: 'label',
  ref: 'original',
  folder: 'a/b',
  filename: 'c.mp4',
  path: 'a/b/c.mp4',
  placeholder: 'data:image/png;base64,xx',
  background: '#102030',
  metadata: JSON.stringify({ k: 'v', n: 1, b: true, z: null }),
  original: 1,
  created_by: 'key_0123456789abcdef',
  blob_key: 'prj/file',
  status: 'ready',
  created: ts,
  updated: ts,
} as FileRow;
const nullFile = {
  ...fullFile,
  id: 'file_fedcba9876543210',
  object: 'image',
  codec: null,
  container: null,
  width: null,
  height: null,
  orientation: null,
  rotation: null,
  transparency: null,
  animated: null,
  frames: null,
  duration: null,
  fps: null,
  bitrate: null,
  language: null,
  label: null,
  ref: null,
  folder: null,
  filename: null,
  placeholder: null,
  background: null,
  metadata: null,
  original: 0,
  created_by: null,
} as FileRow;
const media = {
  id: 'med_0123456789abcdef',
  project_id: 'prj_0123456789abcdef',
  title: 'title',
  alt: 'alt',
  metadata: JSON.stringify({ a: 'b' }),
  created_by: 'key_0123456789abcdef',
  created: ts,
  updated: ts,
} as MediaRow;
const task = {
  id: 'task_0123456789abcdef',
  project_id: 'prj_0123456789abcdef',
  kind: 'video',
  status: 'processing',
  options: JSON.stringify({ format: 'mp4', width: 320, nested: { x: [1, 2] } }),
  input_file_id: fullFile.id,
  input_url: 'https://example.com/in.mp4',
  input_snapshot: JSON.stringify(fullFile),
  media_id: media.id,
  output_file_id: fullFile.id,
  results: JSON.stringify({ chapters: [{ start: 0, title: 'x' }], score: 0.5 }),
  webhook_url: 'https://example.com/hook',
  error: 'boom',
  progress: 41.6,
  eta: 12.5,
  priority: 0,
  attempts: 1,
  max_attempts: 3,
  run_after: ts,
  lease_until: ts,
  worker_id: 'w',
  created_by: 'key_0123456789abcdef',
  automation_id: null,
  parent_id: 'task_fedcba9876543210',
  started: ts,
  completed: ts,
  created: ts,
  updated: ts,
} as TaskRow;
const bareTask = {
  ...task,
  status: 'pending',
  input_snapshot: null,
  output_file_id: null,
  results: null,
  error: null,
  eta: null,
  media_id: null,
  webhook_url: null,
  parent_id: null,
  created_by: null,
  started: null,
  completed: null,
} as TaskRow;

const cases: [string, { anyOf: unknown[] } | object, unknown][] = [
  ['file (all fields)', FileWire, serializer.file(fullFile)],
  ['file (nulls)', FileWire, serializer.file(nullFile)],
  ['media', MediaWire, serializer.media(media, [fullFile, nullFile])],
  ['media without files', MediaWire, serializer.media({ ...media, title: null, metadata: null }, [])],
  ['task (processing, input, output, results)', TaskWire, serializer.task(task, fullFile)],
  ['task (processing, eta null)', TaskWire, serializer.task({ ...task, eta: null }, null)],
  ['task (url input, nulls)', TaskWire, serializer.task(bareTask, null)],
  ['task (no input)', TaskWire, serializer.task({ ...bareTask, input_url: null }, null)],
  [
    'workflow task with its steps',
    TaskWire,
    serializer.task({ ...task, kind: 'workflow' }, null, [
      { ...task, parent_id: 'task_parent000000000' },
      { ...bareTask, output_file_id: null, error: 'x' },
    ]),
  ],
  [
    'event',
    EventWire,
    eventToWire({
      id: 'evt_0123456789abcdef',
      project_id: 'prj_0123456789abcdef',
      kind: 'file.created',
      data: '{"id":"file_x","n":[1,null]}',
      created: ts,
    }),
  ],
  [
    'automation',
    AutomationWire,
    automationToWire({
      id: 'auto_0123456789abcdef',
      project_id: 'prj_0123456789abcdef',
      name: null,
      description: 'd',
      trigger: '{"kind":"event","event":"media.created"}',
      trigger_event: 'media.created',
      workflow: '[{"kind":"image","width":320,"next":[{"kind":"note"}]}]',
      status: 'active',
      created: ts,
      updated: ts,
    }),
  ],
  [
    'webhook delivery',
    WebhookDeliveryWire,
    deliveryToWire({
      delivery: {
        id: 'whd_0123456789abcdef',
        project_id: 'prj_0123456789abcdef',
        task_id: task.id,
        url: 'https://example.com/hook?x=1',
        type: 'task.completed',
        payload: JSON.stringify({ id: task.id, nested: { a: [1, null] } }),
        status: 'failed',
        attempts: 2,
        next_attempt_at: ts,
        lease_until: null,
        lease_owner: null,
        last_status: 500,
        last_error: 'HTTP 500',
        endpoint_id: 'we_0123456789abcdef',
        event_id: 'evt_0123456789abcdef',
        created: ts,
        updated: ts,
      } as DeliveryRow,
      attempts: [
        {
          delivery_id: 'whd_0123456789abcdef',
          attempt: 1,
          started: ts,
          duration_ms: 12.5,
          status_code: 500,
          error: 'x',
        },
        {
          delivery_id: 'whd_0123456789abcdef',
          attempt: 2,
          started: ts,
          duration_ms: 3,
          status_code: null,
          error: null,
        },
      ],
    }),
  ],
  [
    'webhook delivery (nulls)',
    WebhookDeliveryWire,
    deliveryToWire({
      delivery: {
        id: 'whd_0123456789abcdef',
        project_id: 'prj_0123456789abcdef',
        task_id: null,
        url: 'https://example.com/hook',
        type: 'task.failed',
        payload: 'not json',
        status: 'pending',
        attempts: 0,
        next_attempt_at: null,
        lease_until: null,
        lease_owner: null,
        last_status: null,
        last_error: null,
        endpoint_id: null,
        event_id: null,
        created: ts,
        updated: ts,
      } as DeliveryRow,
      attempts: [],
    }),
  ],
  [
    'signature',
    SignatureWire,
    {
      domain: 'localhost:8444',
      filename: 'a.mp4',
      folder: 'x/y',
      expiry: 1_900_000_000,
      method: 'put',
      signature: 'abc',
      url: 'https://localhost:8444/a.mp4?expiry=1',
    },
  ],
  [
    'project settings',
    ProjectSettingsWire,
    {
      object: 'project_settings',
      project_id: 'prj_0123456789abcdef',
      access: 'private',
      private_prefixes: ['a', 'b/c'],
      delivery_domain: 'localhost:8444',
      delivery_url: 'https://localhost:8444/prj_0123456789abcdef/',
    },
  ],
];

async function serializeWith(schema: object, value: unknown): Promise<string> {
  const app = Fastify({ logger: false });
  app.get('/', { schema: { response: { 200: schema } } }, async () => value);
  const res = await app.inject('/');
  await app.close();
  expect(res.statusCode).toBe(200);
  return res.body;
}

describe('response schemas keep every field a serializer writes', () => {
  for (const [name, schema, value] of cases) {
    it(`${name}: bare and in the envelope`, async () => {
      const expected = JSON.stringify(value);
      expect(await serializeWith(schema, value)).toBe(expected);
      const shapes = ObjectResponse(schema as typeof FileWire).anyOf;
      const envelope = {
        meta: {
          request_id: 'req_x',
          org_id: null,
          project_id: 'prj_x',
          version: '2025-07-01',
          type: 'object',
        },
        data: value,
        error: null,
        links: { self: 'https://h/x', parent: 'https://h' },
      };
      expect(await serializeWith(shapes[0], envelope)).toBe(JSON.stringify(envelope));
      expect(await serializeWith(shapes[1], value)).toBe(expected);
    });
  }

  it('lists: the envelope with page links, and the bare array', async () => {
    const items = [serializer.file(fullFile), serializer.file(nullFile)];
    const [envelope, bare] = ListResponse(FileWire).anyOf;
    const page = {
      meta: {
        request_id: 'req_x',
        org_id: 'org_x',
        project_id: 'prj_x',
        version: '2025-01-01',
        type: 'list',
        limit: 2,
        total: 3,
        page: 1,
        pages: 2,
      },
      data: items,
      error: null,
      links: { self: 's', first: 'f', prev: null, next: 'n', last: 'l' },
    };
    expect(await serializeWith(envelope, page)).toBe(JSON.stringify(page));
    expect(await serializeWith(bare, items)).toBe(JSON.stringify(items));
  });

  it('tasks-config', async () => {
    const config = {
      video: {
        description: 'd',
        inputs: ['video'],
        formats: ['mp4'],
        options: { width: { type: 'integer' } },
      },
      ingest: { description: 'd', inputs: ['url'], options: {} },
    };
    expect(await serializeWith(TasksConfigWire, config)).toBe(JSON.stringify(config));
  });
});
