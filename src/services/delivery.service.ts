// Who may read or write a delivery path, and which file it names. Reads are public unless the project is
// private or the path lies under one of its private prefixes; those need a signed GET or the project's key.
// Writes always need the project's key or a signed PUT.
import { partKey } from '../blobs/blob-store.js';
import { AppError } from '../lib/errors.js';
import { isId } from '../lib/ids.js';
import type { FileRow, MediaRepository } from '../store/media.repository.js';
import type { ProjectsRepository } from '../store/projects.repository.js';
import { type ChildQuery, isPlaylist, partContentType, splitPartPath } from './hls-delivery.js';
import { hasParts } from './packages.js';
import { ID_PATH, sanitizeFolder } from './paths.js';
import {
  type AuthContext,
  type ProjectSettings,
  type ProjectsService,
  parseSettings,
} from './projects.service.js';
import type { SignaturesService, SignedRequest } from './signatures.service.js';

export interface DeliveryRequest {
  projectId: string;
  /** the decoded path after the project prefix, without leading slash */
  path: string;
  /** present when the URL carries a signature */
  signed: SignedRequest | null;
  /** present when the request carries a valid API key */
  auth: AuthContext | null;
}

export interface ReadGrant {
  file: FileRow;
  /** private files get `Cache-Control: private` */
  private: boolean;
  /** served by its immutable id rather than a replaceable folder/filename */
  byId: boolean;
  /** set when the URL names a part of the file's package (an HLS playlist or segment), not the file */
  part?: { name: string; key: string; type: string };
  /**
   * For a package's playlists (the master File or a playlist part): served rewritten, child URIs carrying
   * this package signature when there is one (services/hls-delivery.ts).
   */
  playlist?: { master: boolean; childQuery: ChildQuery | null };
}

export interface WriteGrant extends AuthContext {
  via: 'key' | 'signature';
}

const MAX_PREFIXES = 100;
/** how long the children of a package opened with the API key (no signed URL) stay signed */
const KEY_CHILD_SECONDS = 3600;
const PRIVATE_MESSAGE =
  'This file is private: it needs a signed URL (POST /signatures) or the project API key.';

export function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

export function isPrivatePath(settings: ProjectSettings, path: string): boolean {
  return settings.access === 'private' || settings.private_prefixes.some((p) => underPrefix(path, p));
}

export class DeliveryService {
  constructor(
    private readonly projectsRepo: ProjectsRepository,
    private readonly projects: ProjectsService,
    private readonly media: MediaRepository,
    private readonly signatures: SignaturesService,
  ) {}

  private async project(projectId: string) {
    const project = isId('prj', projectId) ? await this.projectsRepo.getProject(projectId) : undefined;
    if (!project) throw new AppError('not_found', 'Nothing is delivered at this URL.');
    return project;
  }

  private checkKey(auth: AuthContext, projectId: string): void {
    if (auth.projectId !== projectId) {
      throw new AppError('forbidden', `The API key belongs to another project than ${projectId}.`);
    }
  }

  /**
   * The file whose id the path names, else the newest ready file at the path. Ids first: by-id URLs never
   * change, whatever path another file was given (new id-shaped root paths are refused, see paths.ts).
   */
  async resolve(projectId: string, path: string): Promise<{ file: FileRow; byId: boolean } | undefined> {
    const m = ID_PATH.exec(path);
    if (m) {
      const byId = await this.media.getFile(projectId, m[1]);
      if (byId?.status === 'ready') return { file: byId, byId: true };
    }
    const atPath = await this.media.fileAtPath(projectId, path);
    return atPath ? { file: atPath, byId: false } : undefined;
  }

  async authorizeRead(req: DeliveryRequest): Promise<ReadGrant> {
    const project = await this.project(req.projectId);
    const settings = parseSettings(project);
    let authorised = false;
    if (req.auth) {
      this.checkKey(req.auth, req.projectId);
      authorised = true;
    }
    const part = await this.resolvePart(req);
    if (part) return this.authorizePart(req, settings, authorised, part);
    // a signature that is present must be valid, even on a public file: an expired link stays expired
    let signedBy: string | undefined;
    if (req.signed) {
      signedBy = (await this.signatures.verify(req.projectId, req.signed, 'get')).keyId;
      authorised = true;
    }
    const privateMessage = PRIVATE_MESSAGE;
    const pathPrivate = isPrivatePath(settings, req.path);
    if (pathPrivate && !authorised) throw new AppError('forbidden', privateMessage);
    const found = await this.resolve(req.projectId, req.path);
    if (!found?.file.blob_key) {
      throw new AppError('not_found', `No file at ${req.projectId}/${req.path}.`);
    }
    const filePrivate = pathPrivate || isPrivatePath(settings, found.file.path);
    if (filePrivate && !authorised) throw new AppError('forbidden', privateMessage);
    const grant: ReadGrant = { file: found.file, private: filePrivate, byId: found.byId };
    if (hasParts(found.file)) {
      let childQuery: ChildQuery | null = null;
      if (req.signed && signedBy) {
        const expiry = Number(req.signed.expiry);
        childQuery = {
          expiry,
          signature: await this.signatures.signPackage(req.projectId, signedBy, found.file.id, expiry),
        };
      } else if (req.auth && filePrivate) {
        childQuery = await this.keyChildQuery(req.auth, found.file.id);
      }
      grant.playlist = { master: true, childQuery };
    }
    return grant;
  }

  /** A delivery path "{package}/{rendition}/{file}" whose package is an HLS File (and no file has the path). */
  private async resolvePart(
    req: DeliveryRequest,
  ): Promise<{ file: FileRow; packagePath: string; name: string } | undefined> {
    const split = splitPartPath(req.path);
    if (!split) return undefined;
    if (await this.media.fileAtPath(req.projectId, req.path)) return undefined;
    const found = await this.resolve(req.projectId, split.packagePath);
    if (!found?.file.blob_key || !hasParts(found.file)) return undefined;
    return { file: found.file, packagePath: split.packagePath, name: split.part };
  }

  /** Parts are private with their package; a signature on them is the package's (signPackage). */
  private async authorizePart(
    req: DeliveryRequest,
    settings: ProjectSettings,
    byKey: boolean,
    part: { file: FileRow; packagePath: string; name: string },
  ): Promise<ReadGrant> {
    const { file, name } = part;
    const filePrivate = isPrivatePath(settings, part.packagePath) || isPrivatePath(settings, file.path);
    let authorised = byKey;
    if (req.signed) {
      await this.signatures.verifyPackage(req.projectId, file.id, req.signed);
      authorised = true;
    }
    if (filePrivate && !authorised) throw new AppError('forbidden', PRIVATE_MESSAGE);
    const grant: ReadGrant = {
      file,
      private: filePrivate,
      byId: true,
      part: { name, key: partKey(file.blob_key as string, name), type: partContentType(name) },
    };
    if (isPlaylist(name)) {
      let childQuery: ChildQuery | null = null;
      if (req.signed?.signature) {
        childQuery = { expiry: Number(req.signed.expiry), signature: req.signed.signature };
      } else if (req.auth && filePrivate) {
        childQuery = await this.keyChildQuery(req.auth, file.id);
      }
      grant.playlist = { master: false, childQuery };
    }
    return grant;
  }

  /** A package opened with the API key: its children are signed with that key for an hour. */
  private async keyChildQuery(auth: AuthContext, fileId: string): Promise<ChildQuery> {
    const expiry = Math.floor(Date.now() / 1000) + KEY_CHILD_SECONDS;
    return {
      expiry,
      signature: await this.signatures.signPackage(auth.projectId, auth.keyId, fileId, expiry),
    };
  }

  async authorizeWrite(req: DeliveryRequest): Promise<WriteGrant> {
    const project = await this.project(req.projectId);
    if (req.auth) {
      this.checkKey(req.auth, req.projectId);
      return { ...req.auth, via: 'key' };
    }
    if (req.signed) {
      const { keyId } = await this.signatures.verify(req.projectId, req.signed, 'put');
      return { keyId, projectId: project.id, orgId: project.org_id, via: 'signature' };
    }
    throw new AppError(
      'token_missing',
      'Uploads need "Authorization: Bearer <API key>" or a signed PUT URL (POST /signatures with method "put").',
    );
  }

  async settings(projectId: string): Promise<ProjectSettings> {
    return parseSettings(await this.project(projectId));
  }

  async updateSettings(projectId: string, patch: Partial<ProjectSettings>): Promise<ProjectSettings> {
    const next: Partial<ProjectSettings> = {};
    if (patch.access !== undefined) {
      if (patch.access !== 'public' && patch.access !== 'private') {
        throw new AppError('request_invalid', 'access must be "public" or "private".');
      }
      next.access = patch.access;
    }
    if (patch.private_prefixes !== undefined) {
      if (patch.private_prefixes.length > MAX_PREFIXES) {
        throw new AppError('request_invalid', `private_prefixes may hold at most ${MAX_PREFIXES} folders.`);
      }
      const prefixes = new Set<string>();
      for (const raw of patch.private_prefixes) {
        const folder = sanitizeFolder(raw);
        if (!folder) {
          throw new AppError('request_invalid', `private prefix "${raw}" names no folder.`);
        }
        prefixes.add(folder);
      }
      next.private_prefixes = [...prefixes];
    }
    return this.projects.updateSettings(projectId, next);
  }
}
