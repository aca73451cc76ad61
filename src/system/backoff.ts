// How long a device link or the uplink waits before trying again: doubling from minMs to maxMs, jittered so
// that devices lost together (a USB hub browning out) or hubs cut off together do not all retry at once.

export interface Backoff {
  /** Delay after the first failure (before jitter). */
  minMs: number;
  /** Longest delay. */
  maxMs: number;
  /** Online this long without trouble and the failures are forgotten. */
  stableMs: number;
}

export const defaultBackoff: Backoff = { minMs: 500, maxMs: 30_000, stableMs: 30_000 };

/**
 * The delay before the next attempt after `failures` (>= 1) failures in a row: a random point in
 * [d/2, d], d = min(maxMs, minMs * 2^(failures-1)). Until the cap each delay is at least as long as
 * the one before could have been, so a dead device is never hammered; at the cap, [maxMs/2, maxMs].
 */
export function retryDelay(failures: number, backoff: Backoff, random: () => number): number {
  const doublings = Math.min(Math.max(0, failures - 1), 30);
  const ceiling = Math.min(backoff.maxMs, backoff.minMs * 2 ** doublings);
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
