import type { Migration } from 'kysely';
import * as core from './001-core.js';
import * as uploads from './002-uploads.js';
import * as tasks from './003-tasks.js';
import * as webhooks from './004-webhooks.js';
import * as automations from './005-automations.js';
import * as secretCheck from './006-secret-check.js';
import * as idempotency from './007-idempotency.js';
import * as accounts from './008-accounts.js';
import * as library from './009-library.js';
import * as taskLinks from './010-task-links.js';
import * as signInFailures from './011-sign-in-failures.js';

// Add new migrations here, in order. Names sort lexically; never rename or edit a landed migration.
export const migrations: Record<string, Migration> = {
  '001-core': core,
  '002-uploads': uploads,
  '003-tasks': tasks,
  '004-webhooks': webhooks,
  '005-automations': automations,
  '006-secret-check': secretCheck,
  '007-idempotency': idempotency,
  '008-accounts': accounts,
  '009-library': library,
  '010-task-links': taskLinks,
  '011-sign-in-failures': signInFailures,
};
