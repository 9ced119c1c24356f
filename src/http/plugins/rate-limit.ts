// Rate limits per API key (lib/rate-limit.ts), after auth: every API answer carries the RateLimit-* headers
// (IETF draft: Limit, Remaining, Reset, Policy), and a refused request gets 429 rate_limited with Retry-After,
// in the request's version shape like every error.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { RateLimiter } from '../../lib/rate-limit.js';

export function registerRateLimit(app: FastifyInstance, limiter: RateLimiter): void {
  if (!limiter.enabled) return;
  app.addHook('onRequest', (req, reply, done) => {
    if (!req.auth) {
      done();
      return;
    }
    const d = limiter.take(req.auth.keyId);
    reply.header('ratelimit-limit', String(d.limit));
    reply.header('ratelimit-remaining', String(d.remaining));
    reply.header('ratelimit-reset', String(d.resetSeconds));
    reply.header('ratelimit-policy', d.policy);
    if (!d.allowed) {
      reply.header('retry-after', String(d.retryAfterSeconds));
      done(
        new AppError(
          'rate_limited',
          `Too many requests for this API key; retry in ${d.retryAfterSeconds} s (limit: ${d.limit} at once, refilled over ${d.policy.split('w=')[1]} s).`,
        ),
      );
      return;
    }
    done();
  });
}
