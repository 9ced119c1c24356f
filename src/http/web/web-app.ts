// The dashboard at /app: one HTML page, its script (split in chunks: hls.js loads only for a player that
// needs it) and its stylesheet, bundled from web/ by esbuild into memory the first time they are asked for
// (nothing to build before `npm start`), gzipped once, and served under a strict CSP.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';

const WEB_DIR = resolve(import.meta.dirname, '../../../web');

interface Asset {
  body: Buffer;
  /** gzip of body, for clients that accept it */
  gz: Buffer;
  type: string;
  /** true for content-hashed chunk names, which never change */
  immutable: boolean;
}

interface Bundle {
  /** by file name under /app/assets/: app.js, app.css, chunk-HASH.js, favicon.svg */
  assets: Map<string, Asset>;
  html: Buffer;
  version: string;
}

let building: Promise<Bundle> | undefined;

/** Bundles web/src/main.tsx (with preact, hls.js, tus-js-client) once per process. */
export function webBundle(): Promise<Bundle> {
  building ??= build().catch((err) => {
    building = undefined;
    throw err;
  });
  return building;
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

function asset(body: Buffer, name: string, immutable: boolean): Asset {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  return {
    body,
    gz: gzipSync(body, { level: 9 }),
    type: TYPES[ext] ?? 'application/octet-stream',
    immutable,
  };
}

async function build(): Promise<Bundle> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { app: resolve(WEB_DIR, 'src/main.tsx') },
    bundle: true,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    write: false,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: resolve(WEB_DIR, 'out'),
    loader: { '.css': 'css' },
    logLevel: 'silent',
    legalComments: 'none',
  });
  const assets = new Map<string, Asset>();
  const hash = createHash('sha256');
  for (const f of result.outputFiles) {
    const name = basename(f.path);
    const body = Buffer.from(f.contents);
    hash.update(name).update(body);
    assets.set(name, asset(body, name, name.startsWith('chunk-')));
  }
  if (!assets.has('app.js')) throw new Error('the web bundle has no script');
  if (!assets.has('app.css')) assets.set('app.css', asset(Buffer.alloc(0), 'app.css', false));
  assets.set('favicon.svg', asset(await readFile(resolve(WEB_DIR, 'favicon.svg')), 'favicon.svg', false));
  const version = hash.digest('hex').slice(0, 12);
  const html = (await readFile(resolve(WEB_DIR, 'index.html'), 'utf8')).replaceAll('%VERSION%', version);
  return { assets, html: Buffer.from(html), version };
}

function originOf(url: string): string {
  return new URL(url).origin;
}

/** The Content-Security-Policy of every /app response: no inline script or style, no framing. */
export function contentSecurityPolicy(config: Pick<Config, 'deliveryUrl'>): string {
  const delivery = originOf(config.deliveryUrl);
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: blob: ${delivery}`,
    `media-src 'self' blob: ${delivery}`,
    `connect-src 'self' ${delivery}`,
    "worker-src 'self' blob:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function secure(reply: FastifyReply, csp: string): FastifyReply {
  return reply
    .header('content-security-policy', csp)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'same-origin')
    .header('cross-origin-opener-policy', 'same-origin');
}

/** Does this request come from a browser asking for a page (not an API client asking for JSON)? */
export function wantsHtml(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  return /\btext\/html\b/.test(accept) && !req.headers.authorization;
}

export function webRoutes(app: FastifyInstance, config: Pick<Config, 'deliveryUrl'>): void {
  const csp = contentSecurityPolicy(config);

  const page = async (_req: FastifyRequest, reply: FastifyReply) => {
    const b = await webBundle();
    return secure(reply, csp)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(b.html);
  };
  app.get('/app', { schema: { hide: true } }, page);

  app.get<{ Params: { file: string }; Querystring: { v?: string } }>(
    '/app/assets/:file',
    { schema: { hide: true } },
    async (req, reply) => {
      const b = await webBundle();
      const a = b.assets.get(req.params.file);
      if (!a) return reply.callNotFound();
      const etag = a.immutable ? `"${req.params.file}"` : `"${b.version}"`;
      secure(reply, csp)
        .header('content-type', a.type)
        .header('etag', etag)
        .header('vary', 'accept-encoding');
      // content-hashed chunks and versioned URLs (?v=) never change; the rest revalidate
      const forever = a.immutable || req.query.v === b.version;
      reply.header('cache-control', forever ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && a.body.length > 1024) {
        return reply.header('content-encoding', 'gzip').send(a.gz);
      }
      return reply.send(a.body);
    },
  );
}
