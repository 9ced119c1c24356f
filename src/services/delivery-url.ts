import { encodePath } from './paths.js';

/**
 * A file's public URL: the delivery origin, the project id, then the file's path. The project id keeps two
 * projects' `video.mp4` apart and needs no DNS setup on localhost (docs/delivery.md).
 */
export function deliveryUrlFor(deliveryOrigin: string, projectId: string, path: string): string {
  return `${deliveryOrigin}/${projectId}/${encodePath(path)}`;
}
