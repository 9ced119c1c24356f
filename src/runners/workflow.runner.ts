// workflow (spec §6.5): a parent task whose steps run as child tasks. The worker never calls run(): the
// task-run service starts the steps (services/workflows.service.ts). Steps are checked when written
// (services/workflow-steps.ts); the schema here only says what the body holds.
import { Type } from '@sinclair/typebox';
import { PermanentTaskError, type RunResult, type TaskKindDefinition } from './runner.js';

export const WorkflowTaskOptions = Type.Object(
  {
    workflow: Type.Array(Type.Object({ kind: Type.String() }, { additionalProperties: true }), {
      minItems: 1,
      description: 'steps: {kind, ref?, next?: steps, ...options}; top-level steps run in parallel',
    }),
  },
  { additionalProperties: false },
);

export const workflowKind: TaskKindDefinition = {
  kind: 'workflow',
  accepts: ['video', 'image', 'audio'],
  options: WorkflowTaskOptions,
  description:
    'Runs steps as child tasks over the input: top-level steps in parallel, each step’s next steps on its output. Completed when all are; failed when one fails.',
  run: async (): Promise<RunResult> => {
    throw new PermanentTaskError('A workflow is started by the worker, not run.');
  },
};
