// Task kinds: kind → definition (option schema, accepted inputs, runner). Adding a kind is one runner file
// plus one line in BUILT_IN_KINDS. POST /tasks validates against the kind's schema and GET /tasks-config is
// generated from this table, so nothing else needs to change.
import { adaptiveVideoKind } from './adaptive-video.runner.js';
import { audioKind } from './audio.runner.js';
import { imageKind } from './image.runner.js';
import { ingestKind } from './ingest.runner.js';
import type { TaskKindDefinition } from './runner.js';
import { thumbnailsKind } from './thumbnails.runner.js';
import { videoKind } from './video.runner.js';

export const BUILT_IN_KINDS: readonly TaskKindDefinition[] = [
  ingestKind,
  videoKind,
  imageKind,
  audioKind,
  thumbnailsKind,
  adaptiveVideoKind,
];

export class TaskKindRegistry {
  private readonly byKind = new Map<string, TaskKindDefinition>();

  /**
   * `extra` kinds are added after the built-in ones and replace a built-in of the same name. This is the
   * test hook: tests and benchmarks register slow, failing or counting kinds through
   * createContext(config, { kinds: [...] }).
   */
  constructor(
    extra: readonly TaskKindDefinition[] = [],
    builtIn: readonly TaskKindDefinition[] = BUILT_IN_KINDS,
  ) {
    for (const def of [...builtIn, ...extra]) this.byKind.set(def.kind, def);
  }

  get(kind: string): TaskKindDefinition | undefined {
    return this.byKind.get(kind);
  }

  names(): string[] {
    return [...this.byKind.keys()];
  }

  list(): TaskKindDefinition[] {
    return [...this.byKind.values()];
  }
}
