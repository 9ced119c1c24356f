// Automations (spec §4.5, §5.4, §7): a trigger, a workflow of steps and a status. Steps are validated when
// written with the same schemas as POST /tasks and stored verbatim; a run is a `workflow` task started by
// the events service in the transaction of the event that triggers it.
import type { Config } from '../config.js';
import { invalid, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { now } from '../lib/time.js';
import type { TaskKindRegistry } from '../runners/registry.js';
import type { AutomationRow, AutomationsRepository } from '../store/automations.repository.js';
import type { Page } from '../store/paginate.js';
import { TRIGGER_EVENTS } from './event-kinds.js';
import type { AuthContext } from './projects.service.js';
import { parseJson, type WireObject } from './serializers.js';
import { checkUserUrl } from './user-urls.js';
import { stepUrls, validateSteps } from './workflow-steps.js';

export interface AutomationInput {
  name?: string | null;
  description?: string | null;
  trigger?: unknown;
  workflow?: unknown;
  status?: 'active' | 'paused';
}

export interface AutomationsServiceDeps {
  repo: AutomationsRepository;
  kinds: TaskKindRegistry;
  config: Config;
}

export function automationToWire(row: AutomationRow): WireObject {
  return {
    id: row.id,
    object: 'automation',
    name: row.name,
    description: row.description,
    trigger: parseJson(row.trigger) ?? {},
    workflow: parseJson(row.workflow) ?? [],
    status: row.status,
    created: row.created,
    updated: row.updated,
  };
}

export class AutomationsService {
  constructor(private readonly deps: AutomationsServiceDeps) {}

  /** `{kind: "event", event}` with an event that can trigger (media.created, file.created, task.*). */
  private trigger(given: unknown): { kind: 'event'; event: string } {
    const t = given as { kind?: unknown; event?: unknown } | null;
    if (!t || typeof t !== 'object' || Array.isArray(t)) {
      throw invalid('"trigger" is required: {"kind": "event", "event": "media.created"}.');
    }
    const kind = t.kind ?? 'event';
    if (kind !== 'event') throw invalid('trigger.kind: the only trigger kind is "event".');
    if (typeof t.event !== 'string' || !(TRIGGER_EVENTS as readonly string[]).includes(t.event)) {
      throw invalid(`trigger.event: must be one of ${TRIGGER_EVENTS.join(', ')}.`);
    }
    return { kind: 'event', event: t.event };
  }

  private async workflow(given: unknown): Promise<unknown[]> {
    if (given === undefined || given === null) throw invalid('"workflow" is required: a list of steps.');
    const steps = validateSteps(given, this.deps.kinds);
    for (const url of stepUrls(steps)) {
      await checkUserUrl(url, 'workflow http step url', this.deps.config.allowPrivateUrls);
    }
    return steps;
  }

  async create(auth: AuthContext, input: AutomationInput): Promise<AutomationRow> {
    const trigger = this.trigger(input.trigger);
    const workflow = await this.workflow(input.workflow);
    const ts = now();
    const row: AutomationRow = {
      id: newId('auto'),
      project_id: auth.projectId,
      name: input.name ?? null,
      description: input.description ?? null,
      trigger: JSON.stringify(trigger),
      trigger_event: trigger.event,
      workflow: JSON.stringify(workflow),
      status: input.status ?? 'active',
      created: ts,
      updated: ts,
    };
    await this.deps.repo.insert(row);
    return row;
  }

  async get(auth: AuthContext, id: string): Promise<AutomationRow> {
    const row = await this.deps.repo.get(auth.projectId, id);
    if (!row) throw notFound('automation', id);
    return row;
  }

  list(auth: AuthContext, page: Page): Promise<{ rows: AutomationRow[]; total: number }> {
    return this.deps.repo.list(auth.projectId, page);
  }

  /** PATCH: only the given fields change. */
  async update(auth: AuthContext, id: string, input: AutomationInput): Promise<AutomationRow> {
    const patch: Partial<AutomationRow> = { updated: now() };
    if (input.name !== undefined) patch.name = input.name;
    if (input.description !== undefined) patch.description = input.description;
    if (input.status !== undefined) patch.status = input.status;
    if (input.trigger !== undefined) {
      const trigger = this.trigger(input.trigger);
      patch.trigger = JSON.stringify(trigger);
      patch.trigger_event = trigger.event;
    }
    if (input.workflow !== undefined) patch.workflow = JSON.stringify(await this.workflow(input.workflow));
    const row = await this.deps.repo.update(auth.projectId, id, patch);
    if (!row) throw notFound('automation', id);
    return row;
  }

  /** PUT: the whole automation; what is not given becomes empty (name, description) or default (status). */
  async replace(auth: AuthContext, id: string, input: AutomationInput): Promise<AutomationRow> {
    const trigger = this.trigger(input.trigger);
    const workflow = await this.workflow(input.workflow);
    const row = await this.deps.repo.update(auth.projectId, id, {
      name: input.name ?? null,
      description: input.description ?? null,
      trigger: JSON.stringify(trigger),
      trigger_event: trigger.event,
      workflow: JSON.stringify(workflow),
      status: input.status ?? 'active',
      updated: now(),
    });
    if (!row) throw notFound('automation', id);
    return row;
  }

  /** Runs already started go on; nothing new starts. */
  async delete(auth: AuthContext, id: string): Promise<void> {
    if (!(await this.deps.repo.delete(auth.projectId, id))) throw notFound('automation', id);
  }
}
