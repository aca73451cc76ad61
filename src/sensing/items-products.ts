// A catalogue product's weight and spread from what a technician measured. A few weighings cannot
// prove a product is tighter than products usually are, so the measured spread is pooled with the
// default spread as if the default were `priorWeight` more weighings; many weighings win over it.
import type { Product } from './types.js';

export interface SpreadDefaults {
  /** No product's spread is taken below this when nothing was measured. */
  minGrams: number;
  /** Spread as a fraction of the unit weight when nothing was measured (packaging, fill level). */
  fraction: number;
  /** How many weighings the default spread counts as when pooled with measured ones. */
  priorWeight: number;
}

export const spreadDefaults: SpreadDefaults = { minGrams: 2, fraction: 0.03, priorWeight: 1 };

/** The spread a product of `grams` gets when none is known: max(2 g, 3 % of its weight) by default. */
export function defaultSpread(grams: number, defaults: SpreadDefaults = spreadDefaults): number {
  return Math.max(defaults.minGrams, defaults.fraction * grams);
}

/**
 * A product from its measured unit weights: their mean, and their spread pooled with the default
 * (the default alone when there is one weighing). A weighing far from the others (a unit weighed
 * with its neighbour, a typo) is left out. Throws RangeError when no weight is a positive number.
 */
export function productFrom(
  sku: string,
  name: string | undefined,
  weights: readonly number[],
  defaults: SpreadDefaults = spreadDefaults,
): Product {
  const usable = weights.filter((w) => Number.isFinite(w) && w > 0);
  if (usable.length === 0) throw new RangeError(`product ${sku}: no positive unit weight among ${weights}`);
  const kept = withoutOutliers(usable, defaults);
  const grams = kept.reduce((a, w) => a + w, 0) / kept.length;
  const fallback = defaultSpread(grams, defaults);
  const product: Product = { sku, grams, spreadGrams: fallback };
  if (name !== undefined) product.name = name;
  if (kept.length < 2) return product;
  const squares = kept.reduce((a, w) => a + (w - grams) ** 2, 0);
  const prior = defaults.priorWeight;
  product.spreadGrams = Math.sqrt((squares + prior * fallback ** 2) / (kept.length - 1 + prior));
  return product;
}

/** Drops weighings further from the median than both 3.5 robust deviations and 3 default spreads. */
function withoutOutliers(weights: number[], defaults: SpreadDefaults): number[] {
  if (weights.length < 3) return weights;
  const middle = median(weights);
  const deviation = 1.4826 * median(weights.map((w) => Math.abs(w - middle)));
  const limit = Math.max(3.5 * deviation, 3 * defaultSpread(middle, defaults));
  return weights.filter((w) => Math.abs(w - middle) <= limit);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[half] as number)
    : ((sorted[half - 1] as number) + (sorted[half] as number)) / 2;
}
