// The enumeration behind item inference: every bag of products (sku, qty >= 1) within the limits whose
// weight could explain a change. Products come sorted by weight, so the search stops as soon as a bag
// is too heavy, skips branches that cannot reach the change even with the heaviest product, and finds
// a bag's last product by bisection.

/** What the search needs of a product: its unit weight and that weight's spread. */
export interface Weighed {
  grams: number;
  spreadGrams: number;
}

/** No scale resolves better than 0.1 g: the least variance a bag's weight is given (g²). */
export const MIN_VARIANCE = 0.01;

export interface SearchLimits {
  /** Most units in one bag, all products together. */
  maxUnits: number;
  /** Most distinct products in one bag. */
  maxSkus: number;
  /** A bag is visited when its weight lies within this many standard deviations of the change. */
  windowSigmas: number;
  /** Scales read a few % off: a standard deviation proportional to the bag's weight. */
  calibrationFraction: number;
}

/**
 * Called once per bag in the window. `slots[0..size)` index the products, `qty[0..size)` their units
 * (both arrays are reused: copy what you keep); `variance` is that of the change given the bag.
 */
export type BagVisitor = (
  slots: Int32Array,
  qty: Int32Array,
  size: number,
  grams: number,
  variance: number,
) => void;

/**
 * Whether bags of `units` units of `size` products are still worth scoring. Must be monotone: once it
 * says no, it says no for more units and more products too (and may change its mind only that way).
 */
export type BagAdmission = (units: number, size: number) => boolean;

/**
 * Visits every bag of `products` (sorted by grams, ascending) within `limits` and `admit` whose weight
 * is within `windowSigmas` standard deviations of `target` grams, measured with `sigma` grams of noise.
 * Requires windowSigmas × calibrationFraction < 1, which bounds how much heavier than the target a bag
 * in the window can be.
 */
export function forEachBag(
  products: readonly Weighed[],
  target: number,
  sigma: number,
  limits: SearchLimits,
  visit: BagVisitor,
  admit: BagAdmission = () => true,
): void {
  const n = products.length;
  if (n === 0) return;
  const { maxUnits, maxSkus, windowSigmas: k, calibrationFraction: c } = limits;
  const slots = new Int32Array(maxSkus);
  const qty = new Int32Array(maxSkus);
  let heaviest = 0;
  let widest = 0;
  for (const p of products) {
    heaviest = Math.max(heaviest, p.grams);
    widest = Math.max(widest, p.spreadGrams * p.spreadGrams);
  }
  const noise = sigma * sigma;
  // The widest variance any bag can have, before the calibration term.
  const widestBag = maxUnits * widest + noise;
  // How far below and above the target a bag in the window can lie: a lighter bag's calibration term
  // is below the target's; a heavier one's W solves W <= k·(√widestBag + c·(target + W)).
  const below = k * Math.sqrt(widestBag + (c * target) ** 2);
  const above = (k * Math.sqrt(widestBag) + k * c * target) / (1 - k * c);

  const tryBag = (i: number, q: number, size: number, grams: number, spread: number): void => {
    const p = products[i] as Weighed;
    const bag = grams + q * p.grams;
    const variance = Math.max(
      spread + q * p.spreadGrams * p.spreadGrams + noise + (c * bag) ** 2,
      MIN_VARIANCE,
    );
    slots[size] = i;
    qty[size] = q;
    if (Math.abs(bag - target) > k * Math.sqrt(variance)) return;
    visit(slots, qty, size + 1, bag, variance);
  };

  // The last product of a bag: only those whose q units land in the window, found by bisection.
  const finish = (start: number, size: number, units: number, grams: number, spread: number): void => {
    for (let q = 1; units + q <= maxUnits && admit(units + q, size + 1); q++) {
      const heaviestFit = (target + above - grams) / q;
      for (let i = firstFrom(products, start, (target - below - grams) / q); i < n; i++) {
        if ((products[i] as Weighed).grams > heaviestFit) break;
        tryBag(i, q, size, grams, spread);
      }
    }
  };

  const descend = (start: number, size: number, units: number, grams: number, spread: number): void => {
    // Even the heaviest product in every unit left cannot reach the window: nothing below helps.
    if (grams + (maxUnits - units) * heaviest < target - below) return;
    if (size + 1 === maxSkus) {
      finish(start, size, units, grams, spread);
      return;
    }
    for (let i = start; i < n; i++) {
      const p = products[i] as Weighed;
      for (let q = 1; units + q <= maxUnits; q++) {
        // Too heavy, or too unlikely, for this bag and every bag that contains it; every later
        // product is heavier and adds the same units, so with one unit the whole level is done.
        if (grams + q * p.grams > target + above || !admit(units + q, size + 1)) {
          if (q === 1) return;
          break;
        }
        tryBag(i, q, size, grams, spread);
        if (units + q < maxUnits)
          descend(i + 1, size + 1, units + q, grams + q * p.grams, spread + q * p.spreadGrams ** 2);
      }
    }
  };
  descend(0, 0, 0, 0, 0);
}

/** The first index from `start` of a product of at least `grams` (products sorted by grams). */
function firstFrom(products: readonly Weighed[], start: number, grams: number): number {
  let lo = start;
  let hi = products.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((products[mid] as Weighed).grams < grams) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
