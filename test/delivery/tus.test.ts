import { readdir } from 'node:fs/promises';
import { DefaultHttpStack, type HttpResponse, Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tusDirectory } from '../../src/http/delivery/tus.js';
import { testDatabases } from '../helpers/app.js';
import { type DeliveryTestApp, startDeliveryTestApp, wav } from '../helpers/delivery.js';

function tusUpload(
  t: DeliveryTestApp,
  endpoint: string,
  bytes: Buffer,
  opts: { headers?: Record<string, string>; metadata?: Record<string, string>; chunkSize?: number } = {},
): Promise<{ url: string; response: HttpResponse }> {
  return new Promise((resolve, reject) => {
    const upload = new Upload(bytes, {
      endpoint,
      // the test server's self-signed certificate
      httpStack: new (DefaultHttpStack as unknown as new (o: object) => DefaultHttpStack)({ ca: t.ca }),
      headers: opts.headers,
      metadata: opts.metadata,
      chunkSize: opts.chunkSize ?? 16 * 1024,
      retryDelays: [],
      storeFingerprintForResuming: false,
      onError: reject,
      onSuccess: ({ lastResponse }) => resolve({ url: upload.url as string, response: lastResponse }),
    });
    upload.start();
  });
}

describe.each(testDatabases())('tus (%s)', (db) => {
  let t: DeliveryTestApp;
  const tus = (path = '') => `${t.deliveryOrigin}/tus${path}`;
  const T = { 'tus-resumable': '1.0.0' };

  beforeAll(async () => {
    t = await startDeliveryTestApp({ db, env: { MEDIARY_MAX_UPLOAD_BYTES: String(1024 * 1024) } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('OPTIONS advertises tus 1.0 with creation, termination and expiration', async () => {
    const r = await t.send('/tus', { method: 'OPTIONS' });
    expect(r.status).toBe(204);
    expect(r.headers['tus-version']).toMatch(/1\.0\.0/);
    for (const ext of ['creation', 'termination', 'expiration'])
      expect(r.headers['tus-extension']).toContain(ext);
    expect(r.headers['tus-max-size']).toBe(String(1024 * 1024));
  });

  it('tus-js-client with the API key: the finished upload is a File + Media', async () => {
    const bytes = wav(100_000, 3);
    const { url, response } = await tusUpload(t, tus('/'), bytes, {
      headers: { authorization: `Bearer ${t.key}` },
      metadata: { filename: 'tus.wav', folder: 'from-tus', filetype: 'audio/wav' },
    });
    expect(url).toMatch(new RegExp(`^${t.deliveryOrigin}/tus/upl_[A-Za-z0-9]{24}$`));
    const fileId = response.getHeader('mediary-file-id');
    expect(fileId).toMatch(/^file_/);
    const got = await t.send(url.replace(t.deliveryOrigin, ''), {
      headers: { 'accept-version': '2025-08-20' },
    });
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({
      id: fileId,
      kind: 'audio',
      folder: 'from-tus',
      filename: 'tus.wav',
      ref: 'original',
    });
    const back = await t.send(`/${t.projectId}/from-tus/tus.wav`);
    expect(back.body.equals(bytes)).toBe(true);
    // HEAD of a finished upload still reports it complete (a client whose last answer was lost)
    const head = await t.send(url.replace(t.deliveryOrigin, ''), { method: 'HEAD', headers: T });
    expect(head.status).toBe(200);
    expect(head.headers['upload-offset']).toBe(String(bytes.length));
    expect(await readdir(tusDirectory(t.ctx))).toEqual([]);
  });

  it('tus-js-client with a signed PUT URL as the endpoint, without a key', async () => {
    const s = await t.request('/signatures', {
      method: 'POST',
      body: { filename: 'signed.wav', folder: 'tus-signed', method: 'put' },
      headers: { 'accept-version': '2025-08-20' },
    });
    const signed = new URL(s.json.url);
    const bytes = wav(50_000, 4);
    const { response } = await tusUpload(t, tus(`${signed.pathname}${signed.search}`), bytes, {
      metadata: { filename: 'ignored.wav' },
    });
    expect(response.getHeader('mediary-file-url')).toBe(
      `${t.deliveryOrigin}/${t.projectId}/tus-signed/signed.wav`,
    );
    // a tampered signature creates nothing
    const bad = await t.send(
      `/tus${signed.pathname}${signed.search.replace(/signature=(.)/, (_m, c) => `signature=${c === 'A' ? 'B' : 'A'}`)}`,
      {
        method: 'POST',
        headers: { ...T, 'upload-length': '100' },
      },
    );
    expect(bad.status).toBe(403);
  });

  it('resumes at the offset HEAD reports', async () => {
    const bytes = wav(40_000, 5);
    const create = await t.send('/tus', {
      method: 'POST',
      auth: true,
      headers: {
        ...T,
        'upload-length': String(bytes.length),
        'upload-metadata': `filename ${Buffer.from('resumed.wav').toString('base64')}`,
      },
    });
    expect(create.status).toBe(201);
    const path = new URL(create.headers.location as string).pathname;
    expect(create.headers['upload-expires']).toMatch(/GMT$/);
    const patch = (offset: number, body: Buffer) =>
      t.send(path, {
        method: 'PATCH',
        body,
        headers: {
          ...T,
          'upload-offset': String(offset),
          'content-type': 'application/offset+octet-stream',
          'content-length': String(body.length),
        },
      });
    expect((await patch(0, bytes.subarray(0, 15_000))).status).toBe(204);
    const head = await t.send(path, { method: 'HEAD', headers: T });
    expect(head.headers['upload-offset']).toBe('15000');
    expect(head.headers['upload-metadata']).toBe(`filename ${Buffer.from('resumed.wav').toString('base64')}`);
    // a wrong offset is a conflict
    expect((await patch(10_000, bytes.subarray(10_000, 20_000))).status).toBe(409);
    const last = await patch(15_000, bytes.subarray(15_000));
    expect(last.status).toBe(204);
    expect(last.headers['mediary-file-id']).toMatch(/^file_/);
  });

  it('termination deletes the upload and its bytes', async () => {
    const create = await t.send('/tus', {
      method: 'POST',
      auth: true,
      headers: {
        ...T,
        'upload-length': '30000',
        'upload-metadata': `filename ${Buffer.from('x.wav').toString('base64')}`,
      },
    });
    const path = new URL(create.headers.location as string).pathname;
    await t.send(path, {
      method: 'PATCH',
      body: wav(30_000).subarray(0, 10_000),
      headers: {
        ...T,
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        'content-length': '10000',
      },
    });
    expect((await readdir(tusDirectory(t.ctx))).length).toBe(1);
    expect((await t.send(path, { method: 'DELETE', headers: T })).status).toBe(204);
    expect((await t.send(path, { method: 'HEAD', headers: T })).status).toBe(404);
    expect(await readdir(tusDirectory(t.ctx))).toEqual([]);
  });

  it('expired uploads are swept with their bytes', async () => {
    const create = await t.send('/tus', {
      method: 'POST',
      auth: true,
      headers: {
        ...T,
        'upload-length': '30000',
        'upload-metadata': `filename ${Buffer.from('old.wav').toString('base64')}`,
      },
    });
    const path = new URL(create.headers.location as string).pathname;
    const id = path.split('/').pop() as string;
    expect((await readdir(tusDirectory(t.ctx))).length).toBe(1);
    await t.ctx.store.db
      .updateTable('uploads')
      .set({ expires: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', id)
      .execute();
    await t.ctx.uploads.sweep();
    expect(await readdir(tusDirectory(t.ctx))).toEqual([]);
    expect((await t.send(path, { method: 'HEAD', headers: T })).status).toBe(404);
  });

  it('refuses creation without a key or signature, without a filename, and over the size limit', async () => {
    const meta = `filename ${Buffer.from('a.wav').toString('base64')}`;
    const anon = await t.send('/tus', {
      method: 'POST',
      headers: { ...T, 'upload-length': '10', 'upload-metadata': meta },
    });
    expect(anon.status).toBe(401);
    const noName = await t.send('/tus', {
      method: 'POST',
      auth: true,
      headers: { ...T, 'upload-length': '10' },
    });
    expect(noName.status).toBe(400);
    const big = await t.send('/tus', {
      method: 'POST',
      auth: true,
      headers: { ...T, 'upload-length': String(2 * 1024 * 1024), 'upload-metadata': meta },
    });
    expect(big.status).toBe(413);
    expect(await readdir(tusDirectory(t.ctx))).toEqual([]);
  });

  it('a finished upload that is not media fails with 400 and leaves nothing', async () => {
    const create = await t.send('/tus', {
      method: 'POST',
      auth: true,
      headers: {
        ...T,
        'upload-length': '1000',
        'upload-metadata': `filename ${Buffer.from('junk.bin').toString('base64')}`,
      },
    });
    const path = new URL(create.headers.location as string).pathname;
    const r = await t.send(path, {
      method: 'PATCH',
      body: Buffer.alloc(1000, 1),
      headers: {
        ...T,
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        'content-length': '1000',
      },
    });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/not a supported/);
    expect(await readdir(tusDirectory(t.ctx))).toEqual([]);
    expect((await t.send(path, { method: 'HEAD', headers: T })).status).toBe(410);
  });

  it('GET of an unfinished or unknown upload is a clear 404', async () => {
    expect((await t.send('/tus/upl_nothing')).status).toBe(404);
  });
});
