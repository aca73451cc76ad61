// The score of a bag of products as the explanation of a change: log prior + log likelihood.
// - likelihood: Gaussian around the bag's weight, with the search's variance (items-search.ts);
// - prior: each unit beyond the first costs unitOdds; each product beyond the first costs skuOdds
//   shared among the candidates (so that thirty small products nearby cannot outnumber the plain
//   answer with their many combinations); times the location agreement of the bag's products.
import type { ItemOptions } from './items-options.js';
import { forEachBag, MIN_VARIANCE } from './items-search.js';
import type { Product } from './types.js';

/** Plate zones of a candidate: its own plates, and plates within reach of them. */
export const HOME = 2;
export const NEAR = 1;
/** How much a gram of the change counts two or more plates away from a product: almost nothing. */
export const FAR_WEIGHT = 0.01;
/** Search branches this much below the best in log odds (e^-14, one in a million) are cut. */
const NEGLIGIBLE = 14;
/** How many of the likeliest bags are kept whole (the answer and the contenders an anomaly names). */
const KEPT = 3;

export interface Candidate {
  product: Product;
  grams: number;
  spreadGrams: number;
  /** Per plate of the shelf: HOME, NEAR or 0. */
  zone: Uint8Array;
  /** Share of the change within reach of the product's plates. */
  reach: number;
  /** Location agreement when the product explains the change alone, from FAR_WEIGHT to 1. */
  location: number;
}

export interface Bag {
  slots: number[];
  qty: number[];
  grams: number;
  score: number;
  posterior: number;
}

/** What the bags are scored against: the change's size, noise, and where it happened. */
export interface Scene {
  target: number;
  sigma: number;
  plates: readonly number[];
  /** Each of `plates`' share of the change. */
  share: Float64Array;
}

/** The posteriors of a change's hypotheses, from the bags the search found. */
export interface Weighing {
  /** The likeliest bags, best first, with their posteriors. */
  top: Bag[];
  /** Posterior that nothing in the planogram explains the change. */
  nothing: number;
  /** Posterior that the change holds exactly `qty` units of the candidate in `slot`. */
  marginal(slot: number, qty: number): number;
}

/**
 * Scores every bag of `candidates` (sorted by weight) the search finds against the change, and the
 * unexplained hypothesis of log density `unexplained`, and normalises them. Bags are tallied as they
 * come (a running sum and per-product marginals, scaled to the best so far): nothing is kept per bag.
 */
export function weigh(candidates: Candidate[], scene: Scene, o: ItemOptions, unexplained: number): Weighing {
  const { target, sigma } = scene;
  const logUnit = Math.log(o.unitOdds);
  const logSku = Math.log(o.skuOdds / candidates.length);
  const gauss = (weight: number, variance: number) =>
    -0.5 * ((weight - target) ** 2 / variance) - 0.5 * Math.log(2 * Math.PI * variance);

  // Start from the best single product, so that hopeless branches are cut from the first one on.
  let best = unexplained;
  let lightest = Number.POSITIVE_INFINITY;
  let tightest = Number.POSITIVE_INFINITY;
  let widest = 0;
  for (const c of candidates) {
    const qty = Math.min(o.maxUnits, Math.max(1, Math.round(target / c.grams)));
    const variance = Math.max(
      qty * c.spreadGrams ** 2 + sigma ** 2 + (o.calibrationFraction * qty * c.grams) ** 2,
      MIN_VARIANCE,
    );
    best = Math.max(best, (qty - 1) * logUnit + Math.log(c.location) + gauss(qty * c.grams, variance));
    lightest = Math.min(lightest, c.grams);
    tightest = Math.min(tightest, c.spreadGrams ** 2);
    widest = Math.max(widest, c.spreadGrams ** 2);
  }
  // No bag in the window is likelier than a perfect fit with the smallest variance it can have.
  const scale = o.calibrationFraction;
  const lowest =
    target - o.windowSigmas * Math.sqrt(o.maxUnits * widest + sigma ** 2 + (scale * target) ** 2);
  const perfect = gauss(
    target,
    Math.max(sigma ** 2 + tightest + (scale * Math.max(lightest, lowest)) ** 2, MIN_VARIANCE),
  );
  const admit = (units: number, size: number) =>
    (units - 1) * logUnit + (size - 1) * logSku + perfect >= best - NEGLIGIBLE;

  // Log odds of a gram of the change by its plate's zone for a product: far, near, home.
  const zoneOdds = [Math.log(FAR_WEIGHT), Math.log(o.nearWeight), 0];
  // Sums of exp(score - best): of all bags, and of the bags holding (slot, qty).
  let sum = 0;
  const stride = o.maxUnits + 1;
  const marginals = new Float64Array(candidates.length * stride);
  const top: Bag[] = [];
  const visit = (slots: Int32Array, qty: Int32Array, size: number, weight: number, variance: number) => {
    let units = 0;
    for (let i = 0; i < size; i++) units += qty[i] as number;
    const base = (units - 1) * logUnit + (size - 1) * logSku + gauss(weight, variance);
    if (base < best - NEGLIGIBLE) return; // even right where the products sit, it would not count
    const location =
      size === 1
        ? (candidates[slots[0] as number] as Candidate).location
        : together(candidates, slots, qty, size, weight, scene, zoneOdds);
    const score = base + Math.log(Math.max(location, 1e-12));
    if (score > best) {
      const rescale = Math.exp(best - score);
      sum *= rescale;
      for (let i = 0; i < marginals.length; i++) marginals[i] = (marginals[i] as number) * rescale;
      best = score;
    }
    const mass = Math.exp(score - best);
    sum += mass;
    for (let i = 0; i < size; i++) {
      const at = (slots[i] as number) * stride + (qty[i] as number);
      marginals[at] = (marginals[at] as number) + mass;
    }
    if (top.length < KEPT || score > (top[top.length - 1] as Bag).score)
      keep(top, slots, qty, size, weight, score);
  };
  forEachBag(candidates, target, sigma, o, visit, admit);

  const total = sum + Math.exp(unexplained - best);
  for (const bag of top) bag.posterior = Math.exp(bag.score - best) / total;
  return {
    top,
    nothing: Math.exp(unexplained - best) / total,
    marginal: (slot, qty) => Math.min(1, (marginals[slot * stride + qty] as number) / total),
  };
}

/** Puts a copy of the bag in its place among the likeliest, dropping the one that falls off. */
function keep(
  top: Bag[],
  slots: Int32Array,
  qty: Int32Array,
  size: number,
  grams: number,
  score: number,
): void {
  const bag: Bag = { slots: [], qty: [], grams, score, posterior: 0 };
  for (let i = 0; i < size; i++) {
    bag.slots.push(slots[i] as number);
    bag.qty.push(qty[i] as number);
  }
  let at = top.length;
  while (at > 0 && (top[at - 1] as Bag).score < score) at--;
  top.splice(at, 0, bag);
  if (top.length > KEPT) top.pop();
}

/**
 * Location agreement of several products taken together, as for one (see candidatesFor) with each
 * plate as close as the closest of them; a product heavier than the share within its reach is
 * discounted.
 */
function together(
  candidates: Candidate[],
  slots: Int32Array,
  qty: Int32Array,
  size: number,
  weight: number,
  scene: Scene,
  zoneOdds: readonly number[],
): number {
  let logLocation = 0;
  for (let j = 0; j < scene.plates.length; j++) {
    const p = scene.plates[j] as number;
    let closest = 0;
    for (let i = 0; i < size; i++)
      closest = Math.max(closest, (candidates[slots[i] as number] as Candidate).zone[p] as number);
    logLocation += (scene.share[j] as number) * (zoneOdds[closest] as number);
  }
  let location = Math.exp(logLocation);
  for (let i = 0; i < size; i++) {
    const c = candidates[slots[i] as number] as Candidate;
    const part = ((qty[i] as number) * c.grams) / weight;
    if (part > c.reach) location *= c.reach / part;
  }
  return location;
}
