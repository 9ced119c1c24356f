import { AppError } from '../../lib/errors.js';
import type { AuthContext, ProjectsService } from '../../services/projects.service.js';
import { bearerToken } from '../plugins/auth.js';

/**
 * The API key of a delivery request, when it sends one. Unlike the API, a missing key is not an error here
 * (public reads and signed URLs need none); a malformed, unknown or revoked one is.
 */
export async function keyAuth(
  projects: ProjectsService,
  authorization: string | undefined,
): Promise<AuthContext | null> {
  if (!authorization) return null;
  const token = bearerToken({ headers: { authorization } } as Parameters<typeof bearerToken>[0]);
  if (!token) return null;
  const auth = await projects.authenticate(token);
  if (!auth) throw new AppError('token_invalid', 'The API key is not valid (unknown or revoked).');
  return auth;
}
