// The dashboard at /app: one HTML page, one script and one stylesheet, bundled from web/ by esbuild into
// memory the first time they are asked for (nothing to build before `npm start`), with a strict CSP.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';

const WEB_DIR = resolve(import.meta.dirname, '../../../web');

interface Bundle {
  js: Buffer;
  css: Buffer;
  html: Buffer;
  favicon: Buffer;
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

async function build(): Promise<Bundle> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [resolve(WEB_DIR, 'src/main.tsx')],
    bundle: true,
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
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!js) throw new Error('the web bundle has no script');
  const jsBuf = Buffer.from(js.contents);
  const cssBuf = Buffer.from(css?.contents ?? new Uint8Array());
  const version = createHash('sha256').update(jsBuf).update(cssBuf).digest('hex').slice(0, 12);
  const html = (await readFile(resolve(WEB_DIR, 'index.html'), 'utf8')).replaceAll('%VERSION%', version);
  const favicon = await readFile(resolve(WEB_DIR, 'favicon.svg'));
  return { js: jsBuf, css: cssBuf, html: Buffer.from(html), favicon, version };
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

  const asset =
    (pick: (b: Bundle) => Buffer, type: string) => async (req: FastifyRequest, reply: FastifyReply) => {
      const b = await webBundle();
      const etag = `"${b.version}"`;
      secure(reply, csp).header('content-type', type).header('etag', etag);
      // versioned URLs (?v=) never change; the favicon and unversioned asks revalidate
      const versioned = (req.query as { v?: string }).v === b.version;
      reply.header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(pick(b));
    };
  app.get(
    '/app/assets/app.js',
    { schema: { hide: true } },
    asset((b) => b.js, 'text/javascript; charset=utf-8'),
  );
  app.get(
    '/app/assets/app.css',
    { schema: { hide: true } },
    asset((b) => b.css, 'text/css; charset=utf-8'),
  );
  app.get(
    '/app/assets/favicon.svg',
    { schema: { hide: true } },
    asset((b) => b.favicon, 'image/svg+xml'),
  );
}
