// Signed delivery URLs with ittybit's algorithm (spec §8.2): base64url(HMAC-SHA256(api key,
// "folder/filename?expiry=E&method=M")). The key is the project's API key itself, so an app can sign URLs
// without calling the API; verification tries every active key of the project (rotation), and a revoked
// key's URLs stop working with it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../lib/errors.js';
import { deliveryDomainFor, deliveryUrlFor } from './delivery-url.js';
import { idShapedPathProblem, joinPath, sanitizeFilename, sanitizeFolder } from './paths.js';
import { type AuthContext, DASHBOARD_SIGNER, type ProjectsService } from './projects.service.js';

export type SignedMethod = 'get' | 'put';

export interface SignatureInput {
  filename: string;
  folder?: string | null;
  expiry?: number;
  method?: string;
}

export interface Signature {
  domain: string;
  filename: string;
  folder?: string;
  expiry: number;
  method: SignedMethod;
  signature: string;
  url: string;
}

/** What a delivery request carries: its path(s) as the app may have signed them and the query values. */
export interface SignedRequest {
  /** candidate signed paths without leading slash, e.g. the decoded and the raw form */
  paths: string[];
  expiry?: string;
  method?: string;
  signature?: string;
}

export const DEFAULT_EXPIRY_SECONDS = 3600;

export function stringToSign(path: string, expiry: number | string, method: string): string {
  return `${path}?expiry=${expiry}&method=${method}`;
}

/** What a package part's signature covers: no delivery path can produce it (paths never start "hls:"). */
export function packageStringToSign(fileId: string, expiry: number | string): string {
  return `hls:${fileId}?expiry=${expiry}`;
}

export function sign(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('base64url');
}

/**
 * The signature's bytes, from base64url or standard/padded base64. A "+" that travelled unencoded in a
 * query string arrives as a space.
 */
export function decodeSignature(raw: string): Buffer | null {
  const s = raw.trim().replace(/ /g, '+').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return null;
  const buf = Buffer.from(s, 'base64url');
  return buf.length === 32 ? buf : null;
}

/** The largest expiry the delivery host accepts in a URL (15 digits). */
const MAX_EXPIRY = 999_999_999_999_999;

function reject(message: string): AppError {
  return new AppError('signature_rejected', message);
}

export class SignaturesService {
  constructor(
    private readonly projects: ProjectsService,
    private readonly deliveryOrigin: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** POST /signatures: signs with the key that made the request. */
  async create(auth: AuthContext, input: SignatureInput): Promise<Signature> {
    const filename = sanitizeFilename(input.filename);
    if (!filename) {
      throw new AppError('request_invalid', 'filename must contain at least one usable character.');
    }
    const folder = sanitizeFolder(input.folder);
    const method = (input.method ?? 'get').toLowerCase();
    if (method !== 'get' && method !== 'put') {
      throw new AppError('request_invalid', 'method must be "get" (download) or "put" (upload).');
    }
    const nowSeconds = Math.floor(this.clock() / 1000);
    const expiry = input.expiry ?? nowSeconds + DEFAULT_EXPIRY_SECONDS;
    // the delivery host reads at most 15 digits (verify below): a longer expiry would sign a URL it refuses
    if (!Number.isInteger(expiry) || expiry <= 0 || expiry > MAX_EXPIRY) {
      throw new AppError(
        'request_invalid',
        `expiry must be a positive unix timestamp in seconds, at most ${MAX_EXPIRY}.`,
      );
    }
    if (expiry <= nowSeconds) {
      throw new AppError(
        'request_invalid',
        `expiry ${expiry} is in the past (now is ${nowSeconds}); send a future unix timestamp in seconds.`,
      );
    }
    const keys = await this.projects.activeKeySecrets(auth.projectId);
    // a signed-in session has no key of its own: it signs with the project's dashboard signing secret
    const key = keys.find((k) => k.id === (auth.userId ? DASHBOARD_SIGNER : auth.keyId));
    if (!key) throw new AppError('token_invalid', 'The API key is not valid (unknown or revoked).');
    const path = joinPath(folder, filename);
    // reading a file by its id is what such a path is for; writing one would take that URL over
    const problem = method === 'put' ? idShapedPathProblem(path) : undefined;
    if (problem) throw new AppError('request_invalid', problem);
    const signature = sign(key.key, stringToSign(path, expiry, method));
    const query = `expiry=${expiry}&method=${method}&signature=${signature}`;
    return {
      domain: deliveryDomainFor(this.deliveryOrigin, auth.projectId),
      filename,
      ...(folder ? { folder } : {}),
      expiry,
      method,
      signature,
      url: `${deliveryUrlFor(this.deliveryOrigin, auth.projectId, path)}?${query}`,
    };
  }

  /**
   * The signature every part of a package (an HLS master's playlists and segments) carries when the
   * package was opened through a signed or key-authorised URL: one HMAC, made with the same key, over the
   * file id and the same expiry, so one signed master URL plays the whole package and nothing else.
   */
  async signPackage(projectId: string, keyId: string, fileId: string, expiry: number): Promise<string> {
    const key = (await this.projects.activeKeySecrets(projectId)).find((k) => k.id === keyId);
    if (!key) throw new AppError('token_invalid', 'The API key is not valid (unknown or revoked).');
    return sign(key.key, packageStringToSign(fileId, expiry));
  }

  /** Checks a package part's signature (see signPackage); the same 403s as verify(). */
  async verifyPackage(projectId: string, fileId: string, req: SignedRequest): Promise<{ keyId: string }> {
    if (!req.signature) throw reject('This URL has no signature.');
    if (req.expiry === undefined || !/^\d{1,15}$/.test(req.expiry)) {
      throw reject('The signed URL has no valid expiry (a unix timestamp in seconds).');
    }
    if (Number(req.expiry) * 1000 < this.clock()) {
      throw reject(`The signed URL expired at ${new Date(Number(req.expiry) * 1000).toISOString()}.`);
    }
    const provided = decodeSignature(req.signature);
    if (!provided) throw reject('The signature is malformed (expected base64url of an HMAC-SHA256).');
    const message = packageStringToSign(fileId, req.expiry);
    let matched: string | undefined;
    for (const key of await this.projects.activeKeySecrets(projectId)) {
      const expected = createHmac('sha256', key.key).update(message, 'utf8').digest();
      if (timingSafeEqual(expected, provided) && !matched) matched = key.id;
    }
    if (!matched) {
      throw reject(
        'The signature does not match this part of the package: it was made for another file or expiry.',
      );
    }
    return { keyId: matched };
  }

  /**
   * Checks a signed delivery request for `method`; returns the id of the key that made the signature.
   * Every failure is a 403 that says which check failed, except which key or path was wrong.
   */
  async verify(projectId: string, req: SignedRequest, method: SignedMethod): Promise<{ keyId: string }> {
    if (!req.signature) throw reject('This URL has no signature.');
    if (req.expiry === undefined || !/^\d{1,15}$/.test(req.expiry)) {
      throw reject('The signed URL has no valid expiry (a unix timestamp in seconds).');
    }
    const expiry = Number(req.expiry);
    if (expiry * 1000 < this.clock()) {
      throw reject(`The signed URL expired at ${new Date(expiry * 1000).toISOString()}.`);
    }
    // older ittybit URLs carry no method; they are read-only links
    const signedMethod = req.method === undefined ? 'get' : req.method.toLowerCase();
    if (signedMethod !== method) {
      throw reject(`This URL is signed for ${signedMethod.toUpperCase()}, not ${method.toUpperCase()}.`);
    }
    const provided = decodeSignature(req.signature);
    if (!provided) throw reject('The signature is malformed (expected base64url of an HMAC-SHA256).');

    const messages: string[] = [];
    for (const path of new Set(req.paths)) {
      if (req.method === undefined) {
        messages.push(stringToSign(path, req.expiry, 'get'), `${path}?expiry=${req.expiry}`);
      } else {
        messages.push(stringToSign(path, req.expiry, req.method));
        if (req.method !== signedMethod) messages.push(stringToSign(path, req.expiry, signedMethod));
      }
    }
    let matched: string | undefined;
    for (const key of await this.projects.activeKeySecrets(projectId)) {
      for (const message of messages) {
        const expected = createHmac('sha256', key.key).update(message, 'utf8').digest();
        if (timingSafeEqual(expected, provided) && !matched) matched = key.id;
      }
    }
    if (!matched) {
      throw reject(
        'The signature does not match this URL: it was made for another path, expiry or method, or with a key that is not an active key of this project.',
      );
    }
    return { keyId: matched };
  }
}
