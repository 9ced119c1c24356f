// The kinds of events the outbox writes, and which of them can trigger an automation.
export const EVENT_KINDS = [
  'file.created',
  'file.updated',
  'file.deleted',
  'media.created',
  'media.updated',
  'media.deleted',
  'task.created',
  'task.processing',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'automation.triggered',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Event kinds an automation can be triggered by (media.created is ittybit's; the others are mediary's). */
export const TRIGGER_EVENTS = ['media.created', 'file.created', 'task.completed', 'task.failed'] as const;
