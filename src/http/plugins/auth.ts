// Bearer-key auth for API routes. Unknown, malformed and revoked keys all get the same 401.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { ProjectsService } from '../../services/projects.service.js';

export function bearerToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (!m) throw new AppError('token_invalid', 'The Authorization header must be "Bearer <API key>".');
  return m[1];
}

export function registerAuth(app: FastifyInstance, projects: ProjectsService): void {
  app.addHook('onRequest', async (req) => {
    const token = bearerToken(req);
    if (!token) {
      throw new AppError('token_missing', 'Missing API key: send "Authorization: Bearer <API key>".');
    }
    const auth = await projects.authenticate(token);
    if (!auth) throw new AppError('token_invalid', 'The API key is not valid (unknown or revoked).');
    req.auth = auth;
  });
}
