import type { ApiVersion } from '../config.js';
import type { AuthContext } from '../services/projects.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiVersion: ApiVersion;
    auth: AuthContext | null;
  }
  interface FastifyInstance {
    /** absolute origin used in links (MEDIARY_PUBLIC_URL) */
    publicUrl: string;
    /** the delivery host's origin (MEDIARY_DELIVERY_URL), set on the delivery app only: its errors link there */
    deliveryOrigin?: string;
  }
}

/** The authenticated scope of an API route; the auth plugin guarantees it is set. */
export function authOf(req: { auth: AuthContext | null }): AuthContext {
  if (!req.auth) throw new Error('route is missing the auth plugin');
  return req.auth;
}
