import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isForbiddenAddress } from '../../src/net/ip-policy.js';
import {
  checkUrl,
  FetchError,
  type FetchErrorCode,
  type FetchOptions,
  fetchToFile,
  filenameFromContentDisposition,
  filenameFromUrl,
} from '../../src/net/safe-fetch.js';

const BODY = Buffer.alloc(1000, 7);
const CHUNK = Buffer.alloc(16 * 1024, 1);

let server: http.Server;
let tlsServer: https.Server;
let port: number;
let tlsPort: number;
let deadPort: number;
let dir: string;
let seen: string[] = [];
let lastServername: string | undefined;
let n = 0;

const base = (): FetchOptions => ({
  maxBytes: 1_000_000,
  timeoutMs: 5000,
  idleMs: 2000,
  maxRedirects: 5,
  allowPrivate: true,
});
const dest = () => join(dir, `out-${++n}`);

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  seen.push(url.pathname);
  const p = url.pathname;
  if (p === '/file.bin') {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': BODY.length });
    res.end(BODY);
  } else if (p === '/chunked') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(BODY);
    setImmediate(() => {
      res.write(BODY);
      res.end(BODY);
    });
  } else if (p === '/empty') {
    res.writeHead(204);
    res.end();
  } else if (p === '/cd') {
    res.writeHead(200, {
      'content-disposition': `attachment; filename="fallback.txt"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf`,
    });
    res.end('x');
  } else if (p === '/cd-traversal') {
    res.writeHead(200, { 'content-disposition': 'attachment; filename="../../etc/passwd"' });
    res.end('x');
  } else if (p.startsWith('/dir/')) {
    res.writeHead(200, { 'content-type': 'image/jpeg' });
    res.end('x');
  } else if (p === '/echo-host') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(req.headers.host ?? '');
  } else if (p === '/redirect') {
    res.writeHead(Number(url.searchParams.get('status') ?? 302), {
      location: url.searchParams.get('to') ?? '/',
    });
    res.end();
  } else if (p === '/loop') {
    res.writeHead(302, { location: '/loop' });
    res.end();
  } else if (p.startsWith('/hop/')) {
    const left = Number(p.slice(5));
    if (left <= 0) {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(BODY);
    } else {
      res.writeHead(left % 2 ? 301 : 307, { location: `/hop/${left - 1}` });
      res.end();
    }
  } else if (p === '/big-cl') {
    // declares a huge body, then sends nothing: only an early refusal ends this quickly with url_too_large
    res.writeHead(200, { 'content-length': 50_000_000 });
    res.flushHeaders();
  } else if (p === '/endless') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = () => {
      if (res.destroyed || res.writableEnded) return;
      if (res.write(CHUNK)) setImmediate(pump);
      else res.once('drain', pump);
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  } else if (p === '/stall') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write('abc');
  } else if (p === '/no-head') {
    // never answers
  } else if (p === '/drip') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const t = setInterval(() => res.write('.'), 40);
    res.on('close', () => clearInterval(t));
  } else if (p === '/short') {
    res.writeHead(200, { 'content-length': 100 });
    res.write('only a few bytes');
    setImmediate(() => res.socket?.destroy());
  } else if (p.startsWith('/status/')) {
    res.writeHead(Number(p.slice(8)), { 'content-type': 'text/plain' });
    res.end('nope');
  } else {
    res.writeHead(404);
    res.end();
  }
}

function listen(s: http.Server | https.Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mediary-net-'));
  server = http.createServer(handler);
  port = await listen(server);

  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
  });
  tlsServer = https.createServer({ key: pems.private, cert: pems.cert }, handler);
  tlsServer.on('secureConnection', (s: TLSSocket) => {
    lastServername = (s as TLSSocket & { servername?: string | false }).servername || undefined;
  });
  tlsPort = await listen(tlsServer);

  const dead = http.createServer();
  deadPort = await listen(dead);
  await new Promise<void>((r) => dead.close(() => r()));
});

afterAll(async () => {
  server.closeAllConnections();
  tlsServer.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => tlsServer.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  lastServername = undefined;
});

async function expectFetchError(p: Promise<unknown>, code: FetchErrorCode): Promise<FetchError> {
  const err = await p.then(
    () => {
      throw new Error(`expected FetchError ${code}, but it resolved`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchError);
  expect((err as FetchError).code).toBe(code);
  return err as FetchError;
}

describe('fetchToFile: downloads', () => {
  it('downloads a file with size, content type and final URL', async () => {
    const out = dest();
    const res = await fetchToFile(`http://127.0.0.1:${port}/file.bin`, out, base());
    expect(res).toEqual({
      path: out,
      size: BODY.length,
      finalUrl: `http://127.0.0.1:${port}/file.bin`,
      contentType: 'image/png',
      filenameHint: 'file.bin',
    });
    expect(await readFile(out)).toEqual(BODY);
  });

  it('streams a chunked body and accepts exactly maxBytes', async () => {
    const out = dest();
    const res = await fetchToFile(`http://localhost:${port}/chunked`, out, { ...base(), maxBytes: 3000 });
    expect(res.size).toBe(3000);
    expect((await readFile(out)).length).toBe(3000);
    expect(res.contentType).toBe('text/plain');
  });

  it('truncates an existing destination file', async () => {
    const out = dest();
    await writeFile(out, Buffer.alloc(5000, 9));
    const res = await fetchToFile(`http://127.0.0.1:${port}/file.bin`, out, base());
    expect(res.size).toBe(1000);
    expect(await readFile(out)).toEqual(BODY);
  });

  it('handles an empty 204 body', async () => {
    const out = dest();
    const res = await fetchToFile(`http://127.0.0.1:${port}/empty`, out, base());
    expect(res.size).toBe(0);
    expect(res.contentType).toBeNull();
    expect(existsSync(out)).toBe(true);
  });

  it('takes filenameHint from Content-Disposition (filename* preferred) and from the URL path', async () => {
    const cd = await fetchToFile(`http://127.0.0.1:${port}/cd`, dest(), base());
    expect(cd.filenameHint).toBe('naïve résumé.pdf');
    const trav = await fetchToFile(`http://127.0.0.1:${port}/cd-traversal`, dest(), base());
    expect(trav.filenameHint).toBe('passwd');
    const path = await fetchToFile(`http://127.0.0.1:${port}/dir/My%20Photo%C3%A9.jpg?x=1`, dest(), base());
    expect(path.filenameHint).toBe('My Photoé.jpg');
    const root = await fetchToFile(`http://127.0.0.1:${port}/redirect?to=/dir/`, dest(), base());
    expect(root.filenameHint).toBeNull();
  });

  it('connects to the resolved address only (pinned lookup) and keeps the Host header', async () => {
    const calls: string[] = [];
    const resolve = async (h: string) => {
      calls.push(h);
      return ['127.0.0.1'];
    };
    const out = dest();
    // `.invalid` never resolves in real DNS: this only works when our pinned lookup is used
    const res = await fetchToFile(`http://pinned.invalid:${port}/echo-host`, out, { ...base(), resolve });
    expect(await readFile(out, 'utf8')).toBe(`pinned.invalid:${port}`);
    expect(res.finalUrl).toBe(`http://pinned.invalid:${port}/echo-host`);
    expect(calls).toEqual(['pinned.invalid']);
  });
});

describe('fetchToFile: https', () => {
  it('works with a self-signed certificate when rejectUnauthorized is false', async () => {
    const out = dest();
    const res = await fetchToFile(`https://localhost:${tlsPort}/file.bin`, out, {
      ...base(),
      rejectUnauthorized: false,
    });
    expect(res.size).toBe(BODY.length);
    expect(await readFile(out)).toEqual(BODY);
    expect(lastServername).toBe('localhost');
  });

  it('keeps SNI and Host as the original hostname while connecting to the vetted address', async () => {
    const out = dest();
    await fetchToFile(`https://pinned.invalid:${tlsPort}/echo-host`, out, {
      ...base(),
      rejectUnauthorized: false,
      resolve: async () => ['127.0.0.1'],
    });
    expect(lastServername).toBe('pinned.invalid');
    expect(await readFile(out, 'utf8')).toBe(`pinned.invalid:${tlsPort}`);
  });

  it('verifies certificates by default', async () => {
    const out = dest();
    const err = await expectFetchError(
      fetchToFile(`https://localhost:${tlsPort}/file.bin`, out, base()),
      'url_unreachable',
    );
    expect(err.message).toMatch(/TLS/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('fetchToFile: address policy', () => {
  const loopbacks = [
    'http://127.0.0.1:PORT/file.bin',
    'http://localhost:PORT/file.bin',
    'http://LOCALHOST.:PORT/file.bin',
    'http://2130706433:PORT/file.bin',
    'http://0x7f.1:PORT/file.bin',
    'http://0x7f000001:PORT/file.bin',
    'http://017700000001:PORT/file.bin',
    'http://127.1:PORT/file.bin',
    'http://[::1]:PORT/file.bin',
    'http://[::ffff:127.0.0.1]:PORT/file.bin',
    'http://[::ffff:7f00:1]:PORT/file.bin',
    'http://0.0.0.0:PORT/file.bin',
    'http://0:PORT/file.bin',
    'https://127.0.0.1:PORT/file.bin',
  ];
  it.each(loopbacks)('refuses %s without connecting', async (u) => {
    const out = dest();
    await expectFetchError(
      fetchToFile(u.replace('PORT', String(port)), out, { ...base(), allowPrivate: false }),
      'url_forbidden',
    );
    expect(seen).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  const others = [
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/',
    'http://[fd00::1]/',
    'http://10.1.2.3/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://224.0.0.1/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://[2002:7f00:1::1]/',
    'http://router.internal/',
    'http://foo.localhost/',
  ];
  it.each(others)('checkUrl refuses %s', async (u) => {
    await expectFetchError(checkUrl(u, { allowPrivate: false }), 'url_forbidden');
  });

  it('refuses cloud metadata host names even with allowPrivate', async () => {
    for (const u of [
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://metadata/',
      'http://METADATA.GOOGLE.INTERNAL./',
    ]) {
      await expectFetchError(checkUrl(u, { allowPrivate: true }), 'url_forbidden');
      await expectFetchError(fetchToFile(u, dest(), base()), 'url_forbidden');
    }
  });

  it('refuses a host whose DNS answer contains any forbidden address, without naming it', async () => {
    const err = await expectFetchError(
      checkUrl('http://internal.example/', { allowPrivate: false, resolve: async () => ['10.0.0.5'] }),
      'url_forbidden',
    );
    expect(err.message).not.toContain('10.0.0.5');
    expect(err.message).toContain('internal.example');
    await expectFetchError(
      checkUrl('http://mixed.example/', {
        allowPrivate: false,
        resolve: async () => ['8.8.8.8', '::ffff:127.0.0.1'],
      }),
      'url_forbidden',
    );
  });

  it('accepts public addresses and private ones with allowPrivate', async () => {
    await checkUrl('https://cdn.example/x.jpg', {
      allowPrivate: false,
      resolve: async () => ['8.8.8.8', '2606:4700::1'],
    });
    await checkUrl('http://8.8.8.8:8080/x', { allowPrivate: false });
    await checkUrl('http://[2606:4700::1]/x', { allowPrivate: false });
    await checkUrl(`http://127.0.0.1:${port}/`, { allowPrivate: true });
    await checkUrl('http://10.0.0.1/', { allowPrivate: true });
  });

  it('reports unresolvable hosts as url_unreachable', async () => {
    const notFound = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nope.example'), { code: 'ENOTFOUND' });
    };
    await expectFetchError(
      checkUrl('http://nope.example/', { allowPrivate: false, resolve: notFound }),
      'url_unreachable',
    );
    await expectFetchError(
      checkUrl('http://none.example/', { allowPrivate: false, resolve: async () => [] }),
      'url_unreachable',
    );
  });
});

describe('fetchToFile: URL validation', () => {
  it.each([
    'file:///etc/passwd',
    'ftp://example.com/a.jpg',
    'gopher://example.com/',
    'data:text/plain,hi',
    'javascript:alert(1)',
    'ws://example.com/',
  ])('refuses the scheme of %s', async (u) => {
    await expectFetchError(fetchToFile(u, dest(), base()), 'url_invalid');
    await expectFetchError(checkUrl(u, { allowPrivate: true }), 'url_invalid');
  });

  it.each(['', 'not a url', '/relative/path', 'http://', `http://example.com/${'a'.repeat(9000)}`])(
    'refuses invalid URL %j',
    async (u) => {
      await expectFetchError(checkUrl(u, { allowPrivate: true }), 'url_invalid');
    },
  );

  it('refuses credentials in the URL', async () => {
    for (const u of [
      `http://user:pass@127.0.0.1:${port}/file.bin`,
      `http://user@127.0.0.1:${port}/file.bin`,
      `http://:pw@127.0.0.1:${port}/`,
    ]) {
      await expectFetchError(fetchToFile(u, dest(), base()), 'url_forbidden');
    }
    expect(seen).toEqual([]);
  });
});

describe('fetchToFile: redirects', () => {
  // `public.invalid` plays an allowed public host (it is 127.0.0.1 underneath); everything else keeps the real policy
  const hooks = (): FetchOptions => ({
    ...base(),
    allowPrivate: false,
    resolve: async () => ['127.0.0.1'],
    isForbidden: (ip, host) => (host === 'public.invalid' ? false : isForbiddenAddress(ip)),
  });
  const pub = () => `http://public.invalid:${port}`;
  const via = (to: string, status = 302) => `${pub()}/redirect?status=${status}&to=${encodeURIComponent(to)}`;

  it('follows allowed redirects (relative and absolute, all statuses)', async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const res = await fetchToFile(via('/file.bin', status), dest(), hooks());
      expect(res.finalUrl).toBe(`${pub()}/file.bin`);
      expect(res.size).toBe(BODY.length);
    }
    const abs = await fetchToFile(via(`${pub()}/dir/a.jpg`), dest(), hooks());
    expect(abs.filenameHint).toBe('a.jpg');
  });

  it('refuses a redirect from an allowed host to a forbidden one, re-checking every hop', async () => {
    const targets = [
      `http://127.0.0.1:${port}/file.bin`,
      `http://localhost:${port}/file.bin`,
      `http://[::ffff:127.0.0.1]:${port}/file.bin`,
      `http://2130706433:${port}/file.bin`,
      'http://169.254.169.254/latest/meta-data/',
      'http://metadata.google.internal/',
      `http://rebind.invalid:${port}/file.bin`, // resolves to 127.0.0.1 and is not the allowed name
    ];
    for (const to of targets) {
      seen = [];
      const out = dest();
      await expectFetchError(fetchToFile(via(to), out, hooks()), 'url_forbidden');
      expect(seen).toEqual(['/redirect']);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('refuses redirects to other schemes or with credentials', async () => {
    await expectFetchError(fetchToFile(via('file:///etc/passwd'), dest(), hooks()), 'url_invalid');
    await expectFetchError(fetchToFile(via('ftp://public.invalid/x'), dest(), hooks()), 'url_invalid');
    await expectFetchError(
      fetchToFile(via(`http://u:p@public.invalid:${port}/file.bin`), dest(), hooks()),
      'url_forbidden',
    );
  });

  it('enforces maxRedirects', async () => {
    const ok = await fetchToFile(`${pub()}/hop/3`, dest(), { ...hooks(), maxRedirects: 3 });
    expect(ok.finalUrl).toBe(`${pub()}/hop/0`);
    const out = dest();
    await expectFetchError(
      fetchToFile(`${pub()}/hop/3`, out, { ...hooks(), maxRedirects: 2 }),
      'url_too_many_redirects',
    );
    expect(existsSync(out)).toBe(false);
    await expectFetchError(
      fetchToFile(via('/file.bin'), dest(), { ...hooks(), maxRedirects: 0 }),
      'url_too_many_redirects',
    );
  });

  it('fails on a redirect loop', async () => {
    await expectFetchError(
      fetchToFile(`${pub()}/loop`, dest(), { ...hooks(), maxRedirects: 4 }),
      'url_too_many_redirects',
    );
    expect(seen).toEqual(['/loop', '/loop', '/loop', '/loop', '/loop']);
  });
});

describe('fetchToFile: limits and errors', () => {
  it('refuses from Content-Length before reading the body', async () => {
    const out = dest();
    const t0 = Date.now();
    const err = await expectFetchError(
      fetchToFile(`http://127.0.0.1:${port}/big-cl`, out, {
        ...base(),
        maxBytes: 1_000_000,
        idleMs: 30_000,
        timeoutMs: 60_000,
      }),
      'url_too_large',
    );
    // reading the body would wait out the 30 s idle limit; a loaded machine still answers well within 10 s
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(err.message).toContain('1000000');
    expect(existsSync(out)).toBe(false);
    await expectFetchError(
      fetchToFile(`http://127.0.0.1:${port}/file.bin`, dest(), { ...base(), maxBytes: 999 }),
      'url_too_large',
    );
  });

  it('aborts a chunked body that exceeds maxBytes and removes the partial file', async () => {
    const out = dest();
    await expectFetchError(
      fetchToFile(`http://127.0.0.1:${port}/endless`, out, { ...base(), maxBytes: 200_000 }),
      'url_too_large',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('times out when the body goes idle', async () => {
    const out = dest();
    const t0 = Date.now();
    const err = await expectFetchError(
      fetchToFile(`http://127.0.0.1:${port}/stall`, out, { ...base(), idleMs: 200, timeoutMs: 60_000 }),
      'url_timeout',
    );
    const elapsed = Date.now() - t0;
    expect(err.message).toContain('no data for 200 ms');
    // the idle limit, not the 60 s total one: generous for a loaded machine, far below the total
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(15_000);
    expect(existsSync(out)).toBe(false);
  });

  it('times out when no response head arrives', async () => {
    const t0 = Date.now();
    const err = await expectFetchError(
      fetchToFile(`http://127.0.0.1:${port}/no-head`, dest(), { ...base(), idleMs: 200, timeoutMs: 60_000 }),
      'url_timeout',
    );
    expect(err.message).toContain('no data for 200 ms');
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('enforces the total timeout even while bytes keep trickling in', async () => {
    const out = dest();
    const t0 = Date.now();
    const err = await expectFetchError(
      fetchToFile(`http://127.0.0.1:${port}/drip`, out, { ...base(), idleMs: 1000, timeoutMs: 300 }),
      'url_timeout',
    );
    expect(err.message).toContain('300 ms');
    // the drip never goes idle: without the total limit this would run until the test's own timeout
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(existsSync(out)).toBe(false);
  });

  it('reports a closed port as url_unreachable', async () => {
    const out = dest();
    const err = await expectFetchError(
      fetchToFile(`http://127.0.0.1:${deadPort}/x`, out, base()),
      'url_unreachable',
    );
    expect(err.message).toMatch(/refused/);
    expect(existsSync(out)).toBe(false);
  });

  it('reports a connection lost mid-body as url_unreachable', async () => {
    const out = dest();
    await expectFetchError(fetchToFile(`http://127.0.0.1:${port}/short`, out, base()), 'url_unreachable');
    expect(existsSync(out)).toBe(false);
  });

  it.each([404, 500, 403, 300])('turns a final %i into url_http_error with the status', async (status) => {
    const out = dest();
    const err = await expectFetchError(
      fetchToFile(`http://127.0.0.1:${port}/status/${status}`, out, base()),
      'url_http_error',
    );
    expect(err.status).toBe(status);
    expect(err.message).toContain(String(status));
    expect(existsSync(out)).toBe(false);
  });

  it('treats a redirect without Location as an HTTP error', async () => {
    const err = await expectFetchError(
      fetchToFile(`http://127.0.0.1:${port}/status/302`, dest(), base()),
      'url_http_error',
    );
    expect(err.status).toBe(302);
  });

  it('rejects with the caller signal reason and removes the partial file', async () => {
    const out = dest();
    const ac = new AbortController();
    const reason = new Error('cancelled by caller');
    setTimeout(() => ac.abort(reason), 100);
    await expect(
      fetchToFile(`http://127.0.0.1:${port}/stall`, out, { ...base(), idleMs: 5000, signal: ac.signal }),
    ).rejects.toBe(reason);
    expect(existsSync(out)).toBe(false);
    await expect(
      fetchToFile(`http://127.0.0.1:${port}/file.bin`, dest(), { ...base(), signal: ac.signal }),
    ).rejects.toBe(reason);
  });

  it('validates its limits', async () => {
    await expect(
      fetchToFile(`http://127.0.0.1:${port}/file.bin`, dest(), { ...base(), timeoutMs: 0 }),
    ).rejects.toThrow(RangeError);
    await expect(
      fetchToFile(`http://127.0.0.1:${port}/file.bin`, dest(), { ...base(), maxRedirects: 1.5 }),
    ).rejects.toThrow(RangeError);
  });
});

describe('filename hints', () => {
  it.each([
    ['attachment; filename="photo.jpg"', 'photo.jpg'],
    ['attachment; filename=photo.jpg', 'photo.jpg'],
    ['inline; FILENAME = "a \\"quoted\\" name.png"', 'a "quoted" name.png'],
    ["attachment; filename*=UTF-8''%E2%82%AC%20rates.txt", '€ rates.txt'],
    ['attachment; filename*=utf-8\'en\'caf%C3%A9.mp4; filename="cafe.mp4"', 'café.mp4'],
    ["attachment; filename*=iso-8859-1''caf%E9.mp4", 'café.mp4'],
    ['attachment; filename="..\\\\..\\\\windows\\\\win.ini"', 'win.ini'],
    ['attachment; filename="/etc/passwd"', 'passwd'],
    ['attachment; filename=".."', null],
    ['attachment; filename=""', null],
    ['attachment', null],
    ['attachment; filename="caf\u00c3\u00a9.jpg"', 'café.jpg'],
  ])('%s -> %s', (header, want) => {
    expect(filenameFromContentDisposition(header)).toBe(want);
  });

  it('decodes the last URL path segment', () => {
    expect(filenameFromUrl(new URL('https://x.example/a/b/My%20File.mov?sig=1'))).toBe('My File.mov');
    expect(filenameFromUrl(new URL('https://x.example/a/b/'))).toBeNull();
    expect(filenameFromUrl(new URL('https://x.example/'))).toBeNull();
    expect(filenameFromUrl(new URL('https://x.example/a/%E0%A4%A.jpg'))).toBe('%E0%A4%A.jpg');
    expect(filenameFromUrl(new URL('https://x.example/a/..%2F..%2Fetc%2Fpasswd'))).toBe('passwd');
  });
});
