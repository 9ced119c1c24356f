// Defaults that depend on the machine.
import { describe, expect, it } from 'vitest';
import { defaultSlots, loadConfig } from '../src/config.js';

const GiB = 2 ** 30;

describe('worker slots by default', () => {
  it.each([
    [2, 24 * GiB, 2],
    [8, 4 * GiB, 4],
    [64, 256 * GiB, 16],
    [1, 0.5 * GiB, 1],
  ])('%i cores and %d bytes → %i', (cores, memory, slots) => {
    expect(defaultSlots(cores, memory)).toBe(slots);
  });

  it('is used when MEDIARY_WORKER_CONCURRENCY is not set, and the setting wins', () => {
    expect(loadConfig({ MEDIARY_DATA_DIR: '/tmp/x' }).workerConcurrency).toBe(defaultSlots());
    expect(
      loadConfig({ MEDIARY_DATA_DIR: '/tmp/x', MEDIARY_WORKER_CONCURRENCY: '3' }).workerConcurrency,
    ).toBe(3);
  });
});
