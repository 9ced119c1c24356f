// Task kinds: kind → definition (option schema, accepted inputs, runner). Adding a kind is one runner file
// plus one line in BUILT_IN_KINDS. POST /tasks validates against the kind's schema and GET /tasks-config is
// generated from this table, so nothing else needs to change.
import type { AiProviders } from '../ai/types.js';
import { adaptiveVideoKind } from './adaptive-video.runner.js';
import { audioKind } from './audio.runner.js';
import { chaptersKind } from './chapters.runner.js';
import { conditionsKind } from './conditions.runner.js';
import { descriptionKind } from './description.runner.js';
import { httpKind } from './http.runner.js';
import { imageKind } from './image.runner.js';
import { ingestKind } from './ingest.runner.js';
import { nsfwKind } from './nsfw.runner.js';
import { outlineKind } from './outline.runner.js';
import { promptKind } from './prompt.runner.js';
import type { TaskKindDefinition } from './runner.js';
import { speechKind } from './speech.runner.js';
import { subtitlesKind } from './subtitles.runner.js';
import { thumbnailsKind } from './thumbnails.runner.js';
import { videoKind } from './video.runner.js';
import { workflowKind } from './workflow.runner.js';

export const BUILT_IN_KINDS: readonly TaskKindDefinition[] = [
  ingestKind,
  videoKind,
  imageKind,
  audioKind,
  thumbnailsKind,
  workflowKind,
  conditionsKind,
  httpKind,
  adaptiveVideoKind,
];

/**
 * The intelligence kinds are built from the process's AI providers (src/ai/providers.ts, created once in
 * app-context.ts) instead of being static: each needs its engines at run time and says through
 * `availability()` whether this server can run it. Same rule as above: one line per kind.
 */
export function intelligenceKinds(ai: AiProviders): TaskKindDefinition[] {
  return [
    speechKind(ai),
    subtitlesKind(ai),
    chaptersKind(ai),
    outlineKind(ai),
    nsfwKind(ai),
    descriptionKind(ai),
    promptKind(ai),
  ];
}

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
