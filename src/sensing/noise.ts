// The yardsticks of change detection, all in a plate's own noise. Each plate learns its noise while the
// shelf rests; every threshold is a multiple of it, with a floor in grams for the quietest plates.
//
// The noise learned is a low quantile of what the plate shows at rest (about 1 window in 20 is
// quieter): it halves within NOISE_HALVE_MS when the plate gets quieter, and at most doubles within
// NOISE_DOUBLE_MS when it gets noisier, so neighbours' shaking cannot teach a plate to be deaf, while a
// plate that really became noisier is followed within minutes.

/** Multiples of a plate's learned noise (standard deviation) that the decisions use. */
export const NOISE_SIGMAS = {
  /** A reading this far from the level is not quiet: an activity began before it. */
  quiet: 3,
  /** The newest third of the window this far from the level (in the noise of a third's mean) starts an activity. */
  activity: 6,
  /** The thirds' means may differ by this many of their own standard errors and still be still. */
  still: 3.5,
  /**
   * Jitter up to this many times the learned noise still lets a shelf be still: shelves ring when a
   * neighbour is handled. A hand on the shelf shakes it more (checked on AIM3S: a hand holding an item
   * half lifted shook its shelf 24 times its learned noise; ringing after a pick stayed within 12).
   */
  jitter: 14,
} as const;

/** See dyingDown: twice the standard deviation, beyond what chance gives two thirds of a window. */
export const RINGING_RATIO = 2;

export const NOISE_HALVE_MS = 3000;
export const NOISE_DOUBLE_MS = 60_000;
/** No plate is quieter than this, g: a converter that barely moves still has its last digit. */
export const NOISE_FLOOR_GRAMS = 0.05;

/** The learned noise after a window that showed `inner`: down by `fall`, or up by `rise`, factors per step. */
export function nextNoise(sigma: number, inner: number, fall: number, rise: number, floor: number): number {
  return Math.max(inner > sigma ? sigma * rise : sigma * fall, floor);
}

/** How far the mean of a third of `n` window readings may stray from the level before it is a move. */
export function moveThreshold(sigma: number, n: number, floor: number): number {
  if (Number.isNaN(sigma)) return floor;
  return Math.max(NOISE_SIGMAS.activity * sigma * Math.sqrt(3 / Math.max(n, 3)), floor);
}

/** The most jitter a still plate shows. */
export function jitterCeiling(sigma: number, floor: number): number {
  return Math.max(NOISE_SIGMAS.jitter * sigma, floor);
}

/**
 * Whether a plate's shaking is still dying down: an older part of the window shook more than
 * RINGING_RATIO times a newer one (beyond its noise). A shelf rings after a change; it is not still
 * until that is over, whatever its level looks like, while shaking that goes on (a neighbour's hands)
 * does not die down and does not stop a shelf from settling.
 */
export function dyingDown(olderVariance: number, newerVariance: number, sigma: number): boolean {
  return olderVariance > RINGING_RATIO * RINGING_RATIO * (newerVariance + sigma * sigma);
}

/** How far apart `parts` means of `n` readings with inner noise `inner` may lie on a still plate. */
export function stillBand(inner: number, n: number, parts: number, floor: number): number {
  return Math.max(NOISE_SIGMAS.still * inner * Math.sqrt(parts / n), floor);
}
