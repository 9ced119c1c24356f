import { encodePath } from './paths.js';

/**
 * A file's public URL: the delivery origin, the project id, then the file's path. The project id keeps two
 * projects' `video.mp4` apart and needs no DNS setup on localhost (docs/delivery.md).
 */
export function deliveryUrlFor(deliveryOrigin: string, projectId: string, path: string): string {
  return `${deliveryOrigin}/${projectId}/${encodePath(path)}`;
}

/**
 * The project's delivery "domain" as ittybit's Signature.domain names it: host (and port) plus the project
 * prefix, so an app that builds `https://${domain}/${folder}/${filename}?…` by hand gets a working URL.
 */
export function deliveryDomainFor(deliveryOrigin: string, projectId: string): string {
  return `${deliveryOrigin.replace(/^[a-z]+:\/\//i, '')}/${projectId}`;
}
