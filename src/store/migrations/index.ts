import type { Migration } from 'kysely';
import * as core from './001-core.js';

// Add new migrations here, in order. Names sort lexically; never rename or edit a landed migration.
export const migrations: Record<string, Migration> = {
  '001-core': core,
};
