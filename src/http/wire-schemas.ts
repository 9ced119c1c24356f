// Response schemas: the wire objects of services/serializers.ts (and webhooks' deliveryToWire) in both API
// shapes. They document the API (/openapi.json) and drive serialization (fast-json-stringify), which drops
// any property a schema doesn't list and turns a null into "" or 0 when the type doesn't allow it. So every
// field a serializer can produce is listed here, in the serializer's order, nullable where it can be null.
// Only a leading run of always-present fields is `required`: fast-json-stringify writes required fields
// first, and a required field that is missing fails the response.
import { type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox';

/** `T | null` as one type list, which fast-json-stringify serializes without trying branches. */
function OrNull<T extends TSchema>(schema: T) {
  return Type.Unsafe<T['static'] | null>({ ...schema, type: [schema.type, 'null'] });
}

/** Properties all optional except the leading `required` ones (which keep their place on the wire). */
function WireObject<R extends TProperties, O extends TProperties>(
  required: R,
  optional: O,
  description?: string,
) {
  return Type.Object(
    { ...required, ...Type.Partial(Type.Object(optional)).properties },
    description ? { description } : {},
  );
}

const Timestamp = Type.String({ description: 'ISO 8601, UTC' });
const FreeObject = Type.Object({}, { additionalProperties: true });
const Metadata = Type.Object({}, { additionalProperties: true, description: 'flat key/value pairs' });

const fileHead = {
  id: Type.String(),
  object: Type.String({ description: 'source, video, image, audio, track, …' }),
  kind: Type.String({ description: 'video, image, audio, …' }),
  type: Type.String({ description: 'MIME type' }),
};
const fileFacts = {
  codec: Type.String(),
  container: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  orientation: Type.String(),
  rotation: Type.Number(),
  transparency: Type.Boolean(),
  animated: Type.Boolean(),
  frames: Type.Number(),
  duration: Type.Number({ description: 'seconds' }),
  fps: Type.Number(),
  filesize: Type.Integer({ description: 'bytes' }),
  bitrate: Type.Number(),
  language: Type.String(),
  label: Type.String(),
  ref: Type.String(),
  folder: Type.String(),
  filename: Type.String(),
  url: Type.String({ description: 'delivery URL' }),
  placeholder: Type.String(),
  background: Type.String(),
  metadata: Metadata,
  original: Type.Boolean(),
  created_by: Type.String(),
  media_id: Type.String(),
  status: Type.String(),
  created: Timestamp,
  updated: Timestamp,
};

/** File (spec §4.1); absent facts are omitted. */
export const FileWire = WireObject(fileHead, fileFacts, 'File');

/** A file inside a media (spec §4.2): the File without the fields the media carries. */
const MediaSourceWire = FileWire;

/** The input a task got: a subset of its File, or `{url}` until a URL input is ingested. */
const TaskInputWire = WireObject(
  {},
  {
    id: fileHead.id,
    object: fileHead.object,
    kind: fileHead.kind,
    type: fileHead.type,
    width: fileFacts.width,
    height: fileFacts.height,
    duration: fileFacts.duration,
    fps: fileFacts.fps,
    filesize: fileFacts.filesize,
    bitrate: fileFacts.bitrate,
    url: fileFacts.url,
    ref: fileFacts.ref,
    metadata: fileFacts.metadata,
    media_id: fileFacts.media_id,
    created: fileFacts.created,
    updated: fileFacts.updated,
  },
);

/** Media (spec §4.2). */
export const MediaWire = WireObject(
  { id: Type.String(), object: Type.Literal('media'), kind: OrNull(Type.String()) },
  {
    title: Type.String(),
    alt: Type.String(),
    width: fileFacts.width,
    height: fileFacts.height,
    duration: fileFacts.duration,
    files: Type.Array(MediaSourceWire),
    urls: Type.Record(Type.String(), Type.String(), { description: 'ref → delivery URL of ready files' }),
    background: OrNull(Type.String()),
    metadata: Metadata,
    created_by: Type.String(),
    created: Timestamp,
    updated: Timestamp,
  },
  'Media',
);

/** TaskSummary (spec §4.4): a workflow's step as its parent lists it. */
export const TaskSummaryWire = WireObject(
  {
    id: Type.String(),
    object: Type.Literal('task'),
    kind: Type.String(),
    status: Type.String(),
    progress: Type.Integer(),
    error: OrNull(Type.String()),
    output_file_id: OrNull(Type.String()),
  },
  { created_by: Type.String(), parent_id: Type.String(), created: Timestamp, updated: Timestamp },
  'TaskSummary',
);

/** Task (spec §4.4). */
export const TaskWire = WireObject(
  {
    id: Type.String(),
    object: Type.Literal('task'),
    kind: Type.String(),
    input: OrNull(TaskInputWire),
    options: FreeObject,
    output: OrNull(FileWire),
    status: Type.String({ description: 'pending, processing, completed, failed or cancelled' }),
    progress: Type.Integer({ description: '0-100' }),
  },
  {
    eta: OrNull(Type.Number({ description: 'seconds left; only while processing' })),
    error: OrNull(Type.String()),
    media_id: Type.String(),
    webhook_url: Type.String(),
    parent_id: Type.String(),
    results: Type.Unknown({ description: 'kind-specific results' }),
    workflow: Type.Array(TaskSummaryWire, { description: 'a workflow task’s steps' }),
    created_by: Type.String(),
    started: Timestamp,
    completed: Timestamp,
    created: Timestamp,
    updated: Timestamp,
  },
  'Task',
);

/** GET /tasks-config: kind → what it takes. */
export const TasksConfigWire = Type.Record(
  Type.String(),
  WireObject(
    { description: Type.String(), inputs: Type.Array(Type.String()) },
    {
      formats: Type.Array(Type.String()),
      options: Type.Record(Type.String(), Type.Unknown()),
      available: Type.Boolean({ description: 'whether this server can run the kind now' }),
      provider: OrNull(Type.String({ description: 'the engine that would run it' })),
      reason: Type.String({ description: 'why not, naming the setting to configure' }),
    },
  ),
);

/** Beyond ittybit: a task webhook delivery with its attempt log. */
export const WebhookDeliveryWire = WireObject(
  {
    id: Type.String(),
    object: Type.Literal('webhook_delivery'),
    project_id: Type.String(),
    task_id: OrNull(Type.String()),
    type: Type.String(),
    url: Type.String(),
    status: Type.String({ description: 'pending, succeeded or failed' }),
    attempt_count: Type.Integer(),
    next_attempt_at: OrNull(Timestamp),
    last_status: OrNull(Type.Integer()),
    last_error: OrNull(Type.String()),
    payload: Type.Unknown({ description: 'the JSON body sent' }),
    endpoint_id: OrNull(Type.String()),
    event_id: OrNull(Type.String()),
    attempts: Type.Array(
      Type.Object({
        attempt: Type.Integer(),
        started: Timestamp,
        duration_ms: Type.Number(),
        status_code: OrNull(Type.Integer()),
        error: OrNull(Type.String()),
      }),
    ),
    created: Timestamp,
    updated: Timestamp,
  },
  {},
  'WebhookDelivery',
);

/** Beyond ittybit's G2/G3: an event of the outbox (spec §10.2). */
export const EventWire = WireObject(
  {
    id: Type.String(),
    object: Type.Literal('event'),
    kind: Type.String(),
    data: Type.Unknown({ description: 'the object the event is about' }),
    created: Timestamp,
  },
  {},
  'Event',
);

/** Automation (spec §4.5). */
export const AutomationWire = WireObject(
  {
    id: Type.String(),
    object: Type.Literal('automation'),
    name: OrNull(Type.String()),
    description: OrNull(Type.String()),
    trigger: FreeObject,
    workflow: Type.Array(Type.Unknown(), { description: 'the steps, as given' }),
    status: Type.String({ description: 'active or paused' }),
    created: Timestamp,
    updated: Timestamp,
  },
  {},
  'Automation',
);

/** A webhook endpoint (spec §10.2, G4 shape plus ISO timestamps). */
export const WebhookEndpointWire = WireObject(
  {
    id: Type.String(),
    object: Type.Literal('webhook_endpoint'),
    url: Type.String(),
    description: OrNull(Type.String()),
    topics: Type.Array(Type.String()),
    status: Type.String({ description: 'active or paused' }),
  },
  {
    secret: Type.String({ description: 'whsec_…; on create, GET and rotate' }),
    created: Timestamp,
    updated: Timestamp,
    created_at: Type.Integer({ description: 'unix seconds' }),
    updated_at: Type.Integer({ description: 'unix seconds' }),
  },
  'WebhookEndpoint',
);

export const SignatureWire = WireObject(
  { domain: Type.String(), filename: Type.String() },
  {
    folder: Type.String(),
    expiry: Type.Integer({ description: 'unix timestamp in seconds' }),
    method: Type.String({ description: 'get or put' }),
    signature: Type.String(),
    url: Type.String({ description: 'the signed delivery URL' }),
  },
  'Signature',
);

export const ProjectSettingsWire = WireObject(
  {
    object: Type.Literal('project_settings'),
    project_id: Type.String(),
    access: Type.String({ description: 'public or private' }),
    private_prefixes: Type.Array(Type.String()),
    delivery_domain: Type.String(),
    delivery_url: Type.String(),
  },
  {},
  'ProjectSettings',
);

export const WebhookSecretWire = Type.Object({ secret: Type.String({ description: 'whsec_…' }) });
export const MessageWire = Type.Object({ message: Type.String() });

const meta = {
  request_id: Type.String(),
  org_id: OrNull(Type.String()),
  project_id: OrNull(Type.String()),
  version: Type.String(),
  type: Type.String({ description: 'object, list or error' }),
};

/** Both shapes of a single-object response: envelope (versions before 2025-08-20) first, then bare. */
export function ObjectResponse<T extends TObject>(data: T) {
  return Type.Union([
    Type.Object({
      meta: Type.Object(meta),
      data,
      error: Type.Null(),
      links: Type.Object({ self: Type.String(), parent: Type.String() }),
    }),
    data,
  ]);
}

/** Both shapes of a page of a collection: envelope first, then the bare array (links in headers). */
export function ListResponse<T extends TObject>(item: T) {
  return Type.Union([
    Type.Object({
      meta: Type.Object({
        ...meta,
        limit: Type.Integer(),
        total: Type.Integer(),
        page: Type.Integer(),
        pages: Type.Integer(),
      }),
      data: Type.Array(item),
      error: Type.Null(),
      links: Type.Object({
        self: Type.String(),
        first: Type.String(),
        prev: OrNull(Type.String()),
        next: OrNull(Type.String()),
        last: Type.String(),
      }),
    }),
    Type.Array(item),
  ]);
}

/** Both shapes of an error: envelope first, then the bare `{kind, message}` of 2025-08-20. */
export const ErrorResponse = Type.Union([
  Type.Object({
    meta: Type.Object(meta),
    data: Type.Null(),
    error: Type.Object({ code: Type.String(), message: Type.String() }),
    links: Type.Object({ self: Type.String() }),
  }),
  Type.Object({ kind: Type.String({ description: 'error code' }), message: Type.String() }),
]);

/** The error responses every API route can give; 2xx keys stay exact so errors never meet them. */
export const errorResponses = { '4xx': ErrorResponse, '5xx': ErrorResponse };
