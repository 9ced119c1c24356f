// Idempotency-Key on POST, with Stripe's semantics (docs/operations.md): the first request with a key runs
// and its response is kept for 24 h; the same key with the same request gets that response again, with a
// different request 422, and while the first still runs 409. State lives in the database, so it holds
// across API nodes. A 5xx is not kept: the key is given back and a retry runs again (the Node SDK retries
// POSTs after 5xx and timeouts).
import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../lib/errors.js';
import type { IdempotencyRepository, IdempotencyRow } from '../store/idempotency.repository.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
const PRUNE_EVERY_MS = 60_000;
export const MAX_KEY_LENGTH = 255;

export interface StoredResponse {
  status: number;
  type: string | null;
  body: string;
}

/** The key is held by this request: record its response, or give the key back. */
export interface HeldKey {
  finish(response: StoredResponse): Promise<void>;
  release(): Promise<void>;
}

export type Begin = { kind: 'run'; held: HeldKey } | { kind: 'replay'; response: StoredResponse };

/** JSON with sorted keys: the same body written in another key order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonical(body)}`)
    .digest('hex');
}

export interface IdempotencyOptions {
  /** a request holding a key longer than this is taken to have died with its node */
  lockMs: number;
  clock?: () => number;
}

export class IdempotencyService {
  private lastPrune = 0;
  private readonly now: () => number;

  constructor(
    private readonly repo: IdempotencyRepository,
    private readonly opts: IdempotencyOptions,
  ) {
    this.now = opts.clock ?? Date.now;
  }

  async begin(projectId: string, key: string, method: string, path: string, body: unknown): Promise<Begin> {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new AppError('request_invalid', `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters.`);
    }
    const t = this.now();
    await this.maybePrune(t);
    const row: IdempotencyRow = {
      project_id: projectId,
      key,
      fingerprint: fingerprint(method, path, body),
      owner: randomUUID(),
      locked_until: new Date(t + this.opts.lockMs).toISOString(),
      response_status: null,
      response_type: null,
      response_body: null,
      created: new Date(t).toISOString(),
      expires: new Date(t + IDEMPOTENCY_TTL_MS).toISOString(),
    };
    // two rounds: the second after taking over an expired or abandoned row someone else also took
    for (let round = 0; round < 3; round++) {
      if (await this.repo.insert(row)) return { kind: 'run', held: this.held(row) };
      const existing = await this.repo.get(projectId, key);
      if (!existing) continue; // pruned or given back in between
      const nowIso = new Date(t).toISOString();
      const abandoned =
        existing.response_status === null && existing.locked_until !== null && existing.locked_until < nowIso;
      if (existing.expires < nowIso || abandoned) {
        if (await this.repo.replace(existing, row)) return { kind: 'run', held: this.held(row) };
        continue;
      }
      if (existing.fingerprint !== row.fingerprint) {
        throw new AppError(
          'idempotency_key_reused',
          'This Idempotency-Key was already used with a different request (method, path or body); use a new key for a new request.',
        );
      }
      if (existing.response_status === null) {
        throw new AppError(
          'idempotency_key_in_use',
          'A request with this Idempotency-Key is still being processed; retry after it finishes.',
        );
      }
      return {
        kind: 'replay',
        response: {
          status: existing.response_status,
          type: existing.response_type,
          body: existing.response_body ?? '',
        },
      };
    }
    throw new AppError('idempotency_key_in_use', 'This Idempotency-Key is contended; retry shortly.');
  }

  private held(row: IdempotencyRow): HeldKey {
    return {
      finish: (response) => this.repo.finish(row.project_id, row.key, row.owner, response),
      release: () => this.repo.release(row.project_id, row.key, row.owner),
    };
  }

  private async maybePrune(t: number): Promise<void> {
    if (t - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = t;
    await this.repo.prune(new Date(t).toISOString()).catch(() => {});
  }

  /** Deletes keys past their 24 h; returns how many. */
  prune(): Promise<number> {
    return this.repo.prune(new Date(this.now()).toISOString());
  }
}
