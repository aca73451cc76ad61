// The knobs of item inference, their defaults and why. Odds are relative to the most ordinary event:
// one unit of one product taken from the plates the planogram puts it on (odds 1).

export interface ItemOptions {
  /** Most units in one change, all products together. */
  maxUnits: number;
  /** Most distinct products in one change. */
  maxSkus: number;
  /**
   * Products whose plates lie within this many plates of the change are candidates; others are not
   * considered at all (a far-away product of matching weight is a coincidence, not an explanation).
   */
  reachPlates: number;
  /**
   * Odds of a product when the whole change lies on neighbours of its plates rather than on them
   * (a share s there costs nearWeight^s): items spill onto neighbours, and get put back one plate
   * off, but less often than not. Two or more plates away, the odds are 0.01 to the whole change.
   */
  nearWeight: number;
  /** Odds of each unit beyond the first. */
  unitOdds: number;
  /**
   * Odds of each distinct product beyond the first (on top of its units), shared among the products
   * within reach: with ten candidates nearby, any one of them as the second product has a tenth.
   */
  skuOdds: number;
  /** Real scales read a few % off (AiFi's 538 g water read 576 g): deviation this fraction of the weight. */
  calibrationFraction: number;
  /**
   * Odds that a change has a cause outside the planogram (a foreign object, a hand resting, a
   * misplaced item), spread log-uniformly over sizes. With the defaults, a single item more than
   * about 3.4 deviations from the change loses to it.
   */
  unexplainedOdds: number;
  /**
   * Below this posterior the best answer is an anomaly naming the contenders, not items: a wrong
   * item is a wrong charge to a shopper, while an anomaly sends the cloud to its cameras. At 0.7, on
   * the bench's dense shelf of look-alike bars (bench/items.ts), named answers are right about nine
   * times in ten, a little more often than their confidences promise.
   */
  minConfidence: number;
  /** Bags further than this many deviations from the change are not scored (e^-8: negligible at 4). */
  windowSigmas: number;
}

export const itemDefaults: Readonly<ItemOptions> = Object.freeze({
  maxUnits: 6,
  maxSkus: 3,
  reachPlates: 1,
  nearWeight: 0.1,
  unitOdds: 0.3,
  skuOdds: 0.2,
  calibrationFraction: 0.02,
  unexplainedOdds: 0.05,
  minConfidence: 0.7,
  windowSigmas: 4,
});

type Check = [test: (v: number) => boolean, expected: string];
const integer = (min: number, max: number): Check => [
  (v) => Number.isInteger(v) && v >= min && v <= max,
  `an integer from ${min} to ${max}`,
];
const within = (min: number, max: number, open = false): Check => [
  (v) => (open ? v > min : v >= min) && v <= max,
  `a number ${open ? 'above' : 'from'} ${min} ${open ? 'up ' : ''}to ${max}`,
];

const checks: Record<keyof ItemOptions, Check> = {
  maxUnits: integer(1, 20),
  maxSkus: integer(1, 10),
  reachPlates: integer(0, 4),
  nearWeight: within(0.01, 1), // never below the odds of plates further away
  unitOdds: within(0, 1, true),
  skuOdds: within(0, 1, true),
  // Kept below 1 / windowSigmas so the search's "too heavy" stays final (see items-search.ts).
  calibrationFraction: within(0, 0.1),
  unexplainedOdds: within(0, 1000, true),
  minConfidence: within(0, 1),
  windowSigmas: within(2, 8),
};

/** The defaults overridden by `options`; throws RangeError naming the first option out of range. */
export function resolveItemOptions(options: Partial<ItemOptions> = {}): ItemOptions {
  const resolved = { ...itemDefaults, ...options };
  for (const key of Object.keys(checks) as (keyof ItemOptions)[]) {
    const [test, expected] = checks[key];
    const value = resolved[key];
    if (typeof value !== 'number' || !test(value))
      throw new RangeError(`item option ${key} must be ${expected}, got ${String(value)}`);
  }
  return resolved;
}
