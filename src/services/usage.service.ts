// GET /usage: what a project stores and what its tasks did per day (docs/webapp.md).
import { AppError } from '../lib/errors.js';
import type { UsageRepository } from '../store/usage.repository.js';

export type UsageWire = {
  object: 'usage';
  project_id: string;
  storage_bytes: number;
  media: number;
  files: number;
  tasks: Record<string, number>;
  days: { date: string; created: number; completed: number; failed: number }[];
};

export const MAX_USAGE_DAYS = 366;
const DAY_MS = 24 * 3600_000;

export class UsageService {
  constructor(
    private readonly repo: UsageRepository,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Totals now, and the last `days` UTC days (today included), oldest first. */
  async usage(projectId: string, days = 14): Promise<UsageWire> {
    if (!Number.isInteger(days) || days < 1 || days > MAX_USAGE_DAYS) {
      throw new AppError('request_invalid', `days must be 1-${MAX_USAGE_DAYS}`);
    }
    const today = new Date(this.clock()).toISOString().slice(0, 10);
    const first = Date.parse(`${today}T00:00:00.000Z`) - (days - 1) * DAY_MS;
    const totals = await this.repo.totals(projectId);
    const per = await this.repo.perDay(projectId, new Date(first).toISOString());
    const out: UsageWire['days'] = [];
    for (let i = 0; i < days; i++) {
      const date = new Date(first + i * DAY_MS).toISOString().slice(0, 10);
      out.push({
        date,
        created: per.created.get(date) ?? 0,
        completed: per.completed.get(date) ?? 0,
        failed: per.failed.get(date) ?? 0,
      });
    }
    return {
      object: 'usage',
      project_id: projectId,
      storage_bytes: totals.storageBytes,
      media: totals.media,
      files: totals.files,
      tasks: totals.tasks,
      days: out,
    };
  }
}
