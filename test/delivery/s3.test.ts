import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeliveryTestApp, startDeliveryTestApp, wav } from '../helpers/delivery.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

function s3Env(prefix: string, delivery: 'stream' | 'redirect'): Record<string, string> {
  return {
    MEDIARY_STORAGE_URL: `s3://${s3.bucket}/${prefix}`,
    MEDIARY_S3_ENDPOINT: s3.endpoint,
    MEDIARY_S3_REGION: s3.region,
    MEDIARY_S3_ACCESS_KEY_ID: s3.accessKeyId,
    MEDIARY_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    MEDIARY_S3_DELIVERY: delivery,
  };
}

function plainGet(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }>(
    (resolve, reject) => {
      http
        .get(url, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }),
          );
        })
        .on('error', reject);
    },
  );
}

describe('S3 delivery: stream', () => {
  let t: DeliveryTestApp;
  beforeAll(async () => {
    t = await startDeliveryTestApp({ env: s3Env('stream', 'stream') });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('uploads land in the bucket and are streamed back with ranges', async () => {
    const bytes = wav(60_000, 2);
    const up = await t.send(`/${t.projectId}/s3/tone.wav`, { method: 'PUT', body: bytes, auth: true });
    expect(up.status).toBe(201);
    expect(t.ctx.blobs.kind).toBe('s3');
    const whole = await t.send(`/${t.projectId}/s3/tone.wav`);
    expect(whole.status).toBe(200);
    expect(whole.body.equals(bytes)).toBe(true);
    const part = await t.send(`/${t.projectId}/s3/tone.wav`, { headers: { range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.body.equals(bytes.subarray(1000, 2000))).toBe(true);
    const tail = await t.send(`/${t.projectId}/s3/tone.wav`, { headers: { range: 'bytes=-1' } });
    expect(tail.body.equals(bytes.subarray(-1))).toBe(true);
  });

  it('chunked uploads end in the bucket too, with no multipart upload left open', async () => {
    const bytes = wav(40_000, 3);
    const send = (s: number, e: number) =>
      t.send(`/${t.projectId}/s3/chunked.wav`, {
        method: 'PUT',
        auth: true,
        body: bytes.subarray(s, e + 1),
        headers: { 'content-range': `bytes ${s}-${e}/${bytes.length}` },
      });
    expect((await send(20_000, 39_999)).status).toBe(202);
    expect((await send(0, 19_999)).status).toBe(201);
    expect((await t.send(`/${t.projectId}/s3/chunked.wav`)).body.equals(bytes)).toBe(true);
    expect(await s3.pendingUploads()).toEqual([]);
  });
});

describe('S3 delivery: redirect', () => {
  let t: DeliveryTestApp;
  beforeAll(async () => {
    t = await startDeliveryTestApp({ env: s3Env('redirect', 'redirect') });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 302 to a presigned URL after the access checks', async () => {
    const bytes = wav(30_000, 5);
    expect(
      (await t.send(`/${t.projectId}/r/tone.wav`, { method: 'PUT', body: bytes, auth: true })).status,
    ).toBe(201);
    const r = await t.send(`/${t.projectId}/r/tone.wav`);
    expect(r.status).toBe(302);
    const location = r.headers.location as string;
    expect(location.startsWith(`${s3.endpoint}/${s3.bucket}/redirect/${t.projectId}/file_`)).toBe(true);
    expect(location).toMatch(/X-Amz-Signature=/);
    expect(r.headers['cache-control']).toBe('private, no-store');
    const followed = await plainGet(location, { range: 'bytes=0-99' });
    expect([200, 206]).toContain(followed.status);
    expect(followed.body.subarray(0, 100).equals(bytes.subarray(0, 100))).toBe(true);
    // private files are checked before any redirect
    await t.request('/project/settings', { method: 'PATCH', body: { access: 'private' } });
    expect((await t.send(`/${t.projectId}/r/tone.wav`)).status).toBe(403);
  });
});
