// The API app plus the delivery app over real HTTPS on loopback, with a temp data dir (test/helpers/app.ts),
// and small helpers to send raw requests to the delivery port.

import https from 'node:https';
import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildDeliveryApp } from '../../src/http/delivery/delivery-app.js';
import { loadTls } from '../../src/http/tls.js';
import { startTestApp, type TestApp, type TestDb, type TestResponse } from './app.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface DeliveryTestApp extends TestApp {
  delivery: FastifyInstance;
  /** https://127.0.0.1:PORT, also MEDIARY_DELIVERY_URL */
  deliveryOrigin: string;
  projectId: string;
  /** a request to the delivery port; `path` may be a full URL */
  send(path: string, opts?: SendOptions): Promise<TestResponse & { body: Buffer }>;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** sends Authorization: Bearer with the test key */
  auth?: boolean;
}

export function rawRequest(
  url: string,
  ca: string,
  opts: SendOptions = {},
): Promise<TestResponse & { body: Buffer }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = https.request(
      {
        host: u.hostname,
        port: u.port,
        // the path is sent exactly as given: no normalisation of "..", "%2e" or backslashes
        path: url.slice(url.indexOf('/', 'https://'.length)),
        method: opts.method ?? 'GET',
        headers: opts.headers,
        ca,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export async function startDeliveryTestApp(
  opts: { db?: TestDb; env?: Record<string, string> } = {},
): Promise<DeliveryTestApp> {
  // the delivery URL names the port before the listener exists: a port found free can be taken by another
  // test file in between, so a lost race starts over on a new port
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    const started = await startOn(port, opts);
    if (started) return started;
    if (tries >= 5) throw new Error('no free port for the delivery listener after 5 tries');
  }
}

async function startOn(
  port: number,
  opts: { db?: TestDb; env?: Record<string, string> },
): Promise<DeliveryTestApp | undefined> {
  const deliveryOrigin = `https://127.0.0.1:${port}`;
  const t = await startTestApp({
    db: opts.db,
    env: {
      MEDIARY_DELIVERY_URL: deliveryOrigin,
      MEDIARY_DELIVERY_PORT: String(port),
      MEDIARY_PUBLIC_URL: 'https://api.test.local',
      ...opts.env,
    },
  });
  const tls = await loadTls(t.config);
  const delivery = await buildDeliveryApp(t.ctx, { tls, logger: false });
  try {
    await delivery.listen({ host: '127.0.0.1', port });
  } catch (err) {
    await delivery.close().catch(() => {});
    await t.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return undefined;
    throw err;
  }
  const auth = await t.ctx.projects.authenticate(t.key);
  if (!auth) throw new Error('test key does not authenticate');
  const closeApi = t.close;
  return Object.assign(t, {
    delivery,
    deliveryOrigin,
    projectId: auth.projectId,
    send(path: string, s: SendOptions = {}) {
      const url = path.startsWith('https://') ? path : deliveryOrigin + path;
      const headers = { ...s.headers };
      if (s.auth) headers.authorization = `Bearer ${t.key}`;
      return rawRequest(url, t.ca, { ...s, headers });
    },
    async close() {
      await delivery.close();
      await closeApi();
    },
  });
}

/** A valid PCM WAV (mono, 8 kHz, 16 bit) of exactly `bytes` bytes (≥ 46), filled with a deterministic tone. */
export function wav(bytes: number, seed = 1): Buffer {
  const data = bytes - 44;
  const buf = Buffer.alloc(bytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(bytes - 8, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(8000, 24);
  buf.writeUInt32LE(16000, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(data, 40);
  for (let i = 44; i + 1 < bytes; i += 2) {
    buf.writeInt16LE(Math.round(8000 * Math.sin(((i - 44) / 2) * 0.05 * seed)), i);
  }
  return buf;
}
