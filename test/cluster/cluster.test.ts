// The production shape, proven: two `mediary start --role api` and two `--role worker` processes on one
// PostgreSQL database and one S3 bucket (the in-process s3rver), real TLS. Mixed tasks go through both API
// nodes; one worker and one API node are SIGKILLed midway and replaced. Then: every task completed exactly
// once with one output, every file is readable through every API node and delivery listener, and every
// task webhook has exactly one delivery, received under one webhook-id.
// CLUSTER_TASKS sets the number of tasks (default 200).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../../src/lib/ids.js';
import { databaseUrlFor, httpsRequest } from '../helpers/app.js';
import { type Fixtures, type MediaServer, makeFixtures, startMediaServer } from '../helpers/fixtures.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { type Receiver, startReceiver } from '../webhooks/helpers.js';

const TASKS = Number(process.env.CLUSTER_TASKS ?? 200);
const root = join(import.meta.dirname, '../..');

interface Node {
  name: string;
  child: ChildProcess;
  dataDir: string;
  api?: string;
  delivery?: string;
  certPath?: string;
  exited: Promise<void>;
}

describe.skipIf(!process.env.MEDIARY_TEST_DATABASE_URL)('a cluster of processes on PostgreSQL + S3', () => {
  let fx: Fixtures;
  let media: MediaServer;
  let s3: TestS3Server;
  let receiver: Receiver;
  let base: string;
  const nodes: Node[] = [];
  const key = `mediary_test_${randomBase62(32)}`;
  const secret = randomBase62(48);
  let database: string;
  let tls: { cert: string; key: string } | undefined;
  let ca = '';

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'mediary-cluster-'));
    fx = await makeFixtures();
    media = await startMediaServer({ 'clip.mp4': fx.mp4, 'pixel.png': fx.png, 'tone.mp3': fx.mp3 });
    s3 = await startS3Server('cluster');
    receiver = await startReceiver('http');
    database = databaseUrlFor('postgres', base).url;
  });
  afterAll(async () => {
    for (const n of nodes)
      if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await receiver?.close();
    await s3?.close();
    await media?.close();
    if (base) await rm(base, { recursive: true, force: true });
  });

  async function start(name: string, role: 'api' | 'worker'): Promise<Node> {
    const dataDir = join(base, name);
    const child = spawn(process.execPath, ['bin/mediary.js', 'start', '--role', role], {
      cwd: root,
      env: {
        ...process.env,
        MEDIARY_DATA_DIR: dataDir,
        MEDIARY_DATABASE_URL: database,
        MEDIARY_STORAGE_URL: `s3://${s3.bucket}/blobs`,
        MEDIARY_S3_ENDPOINT: s3.endpoint,
        MEDIARY_S3_REGION: s3.region,
        MEDIARY_S3_ACCESS_KEY_ID: s3.accessKeyId,
        MEDIARY_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        MEDIARY_SECRET: secret,
        MEDIARY_INITIAL_API_KEY: key,
        MEDIARY_PORT: '0',
        MEDIARY_DELIVERY_PORT: '0',
        MEDIARY_DELIVERY_URL: 'https://cdn.cluster.test',
        MEDIARY_ALLOW_PRIVATE_URLS: 'true',
        MEDIARY_LOG_LEVEL: 'silent',
        MEDIARY_WORKER_CONCURRENCY: role === 'worker' ? '2' : '0',
        MEDIARY_TASK_LEASE_MS: '3000',
        MEDIARY_TASK_RETRY_DELAY_MS: '100',
        MEDIARY_WEBHOOK_TIMEOUT_MS: '3000',
        ...(tls ? { MEDIARY_TLS_CERT: tls.cert, MEDIARY_TLS_KEY: tls.key } : {}),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const node: Node = {
      name,
      child,
      dataDir,
      exited: new Promise<void>((resolve) => child.once('exit', () => resolve())),
    };
    nodes.push(node);
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const api = /API .*listening on (https:\/\/[^)\s]+)/.exec(line);
        if (api) node.api = api[1];
        const delivery = /delivery .*listening on ([\d.]+:\d+)/.exec(line);
        if (delivery) node.delivery = `https://${delivery[1]}`;
        const cert = /self-signed certificate at (\S+)/.exec(line);
        if (cert) node.certPath = cert[1];
        if (line.startsWith('mediary ready')) resolve();
      });
    });
    return node;
  }

  const call = async (node: Node, method: string, path: string, body?: unknown) => {
    const res = await httpsRequest(`${node.api}${path}`, ca, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        'accept-version': '2025-08-20',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res;
  };

  it(`${TASKS} mixed tasks through two API nodes, a worker and an API node killed midway`, async () => {
    // the first node creates the schema, the org and the certificate the others share
    const api1 = await start('api-1', 'api');
    tls = { cert: api1.certPath!, key: join(api1.certPath!, '..', 'key.pem') };
    ca = await readFile(tls.cert, 'utf8');
    const [api2, worker1, worker2] = await Promise.all([
      start('api-2', 'api'),
      start('worker-1', 'worker'),
      start('worker-2', 'worker'),
    ]);

    const inputs: Record<string, string> = {};
    for (const [name, file] of [
      ['image', 'pixel.png'],
      ['audio', 'tone.mp3'],
      ['video', 'clip.mp4'],
    ]) {
      const res = await call(api1, 'POST', '/files', { url: `${media.url}/${file}` });
      expect(res.status, res.text).toBe(201);
      inputs[name] = res.json.id;
    }
    const kinds = [
      { kind: 'image', file_id: inputs.image, width: 32, format: 'webp' },
      { kind: 'audio', file_id: inputs.audio, format: 'mp3' },
      { kind: 'image', file_id: inputs.image, width: 16, format: 'png' },
      { kind: 'thumbnails', file_id: inputs.video, count: 2, width: 64 },
      { kind: 'image', file_id: inputs.video, width: 80, format: 'jpeg' },
      { kind: 'video', file_id: inputs.video, width: 160, speed: 'fastest', end: 1 },
    ];

    const ids: string[] = [];
    let killed = false;
    let api3: Node | undefined;
    for (let i = 0; i < TASKS; i++) {
      const through = i % 2 === 0 ? api1 : (api3 ?? api2);
      const alive = killed && through === api1 ? (api3 ?? api2) : through;
      const res = await call(alive, 'POST', '/tasks', {
        ...kinds[i % kinds.length],
        webhook_url: `${receiver.origin}/hook?n=${i}`,
      });
      expect(res.status, res.text).toBe(201);
      ids.push(res.json.id);
      if (!killed && i === Math.floor(TASKS / 3)) {
        killed = true;
        worker1.child.kill('SIGKILL');
        api1.child.kill('SIGKILL');
        await Promise.all([worker1.exited, api1.exited]);
        [api3] = await Promise.all([start('api-3', 'api'), start('worker-3', 'worker')]);
      }
    }
    const reader = api3!;

    // wait for every task to end
    const deadline = Date.now() + 8 * 60_000;
    let pending = ids;
    while (pending.length > 0 && Date.now() < deadline) {
      const still: string[] = [];
      for (const id of pending) {
        const res = await call(reader, 'GET', `/tasks/${id}`);
        if (res.json?.status !== 'completed' && res.json?.status !== 'failed') still.push(id);
      }
      pending = still;
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(pending).toEqual([]);

    const outputs = new Map<string, string>();
    for (const id of ids) {
      const task = (await call(reader, 'GET', `/tasks/${id}`)).json;
      expect(task.status, `${id}: ${task.error}`).toBe('completed');
      outputs.set(id, task.output.id);
    }
    // one output file per task (a run killed midway wrote none, or its blob was overwritten by the retry)
    for (const [id, fileId] of outputs) {
      const files = await call(api2, 'GET', `/files/${fileId}`);
      expect(files.status).toBe(200);
      expect(files.json.created_by).toBe(id);
    }
    // every output readable through every API node and delivery listener still up
    const sample = [...outputs.values()].slice(0, 12);
    for (const fileId of sample) {
      for (const node of [api2, reader]) {
        const meta = await call(node, 'GET', `/files/${fileId}`);
        expect(meta.status).toBe(200);
        const path = new URL(meta.json.url).pathname;
        const bytes = await httpsRequest(`${node.delivery}${path}`, ca, {
          headers: { authorization: `Bearer ${key}` },
        });
        expect(bytes.status, `${node.name} ${path}`).toBe(200);
        expect(Number(bytes.headers['content-length'])).toBe(meta.json.filesize);
      }
    }
    // webhooks: one delivery per task, every one succeeded; the receiver saw each under one webhook-id
    const deadlineHooks = Date.now() + 120_000;
    let deliveries: { task_id: string; status: string }[] = [];
    while (Date.now() < deadlineHooks) {
      deliveries = [];
      for (let page = 1; ; page++) {
        const res = await call(reader, 'GET', `/webhooks/deliveries?limit=100&page=${page}`);
        deliveries.push(...res.json);
        if (res.json.length < 100) break;
      }
      if (deliveries.length >= TASKS && deliveries.every((d) => d.status === 'succeeded')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const perTask = new Map<string, number>();
    for (const d of deliveries) perTask.set(d.task_id, (perTask.get(d.task_id) ?? 0) + 1);
    expect(perTask.size).toBe(TASKS);
    expect([...perTask.values()].every((n) => n === 1)).toBe(true);
    expect(deliveries.every((d) => d.status === 'succeeded')).toBe(true);
    const webhookIds = new Map<string, Set<string>>();
    for (const r of receiver.received) {
      const taskId = JSON.parse(r.body).id as string;
      const set = webhookIds.get(taskId) ?? new Set<string>();
      set.add(String(r.headers['webhook-id']));
      webhookIds.set(taskId, set);
    }
    expect(webhookIds.size).toBe(TASKS);
    // at-least-once on the wire (a worker killed between sending and recording sends again), but always
    // under the same webhook-id, so a receiver deduplicates to exactly once
    expect([...webhookIds.values()].every((s) => s.size === 1)).toBe(true);
    void worker2;
  }, 900_000);
});
