// Item inference: which products, how many, behind a settled weight change of a shelf.
//
// The hypotheses are bags of (sku, qty >= 1) of products on or next to the changed plates, plus one
// "unexplained" hypothesis. A bag's posterior is prior × likelihood, normalised over all of them:
// - likelihood: the change is Gaussian around the bag's weight, with variance Σ qty·spread² (units
//   differ) + sigma² (the plates' noise) + (calibration × weight)² (scales read a few % off);
// - prior: odds shrink with each extra unit and each extra product, and with how much of the change
//   lies away from the products' plates (see ItemOptions);
// - unexplained: a log-uniform density over sizes, so a change no bag fits well wins it.
// Decisions, all for the same reason (a wrong item is a wrong charge to a shopper; an anomaly only
// sends the cloud to its cameras):
// - products further than `reachPlates` from the change are no candidates at all, whatever they weigh;
// - when "unexplained" is likelier than any bag, the anomaly names the nearest whole units expected;
// - when the best bag is below `minConfidence` (near-equal products on the same plates), the anomaly
//   names the contenders with their probabilities rather than picking one.
// A change of one sign is one direction: negative is a pick, positive a put. A pick and a put inside
// one change (an item moved between plates) is out of scope: only the net change is explained, and
// plates that moved the other way do not count towards where the change happened.
import { type ItemOptions, resolveItemOptions } from './items-options.js';
import { type Bag, type Candidate, FAR_WEIGHT, HOME, NEAR, weigh } from './items-score.js';
import type { Explanation, InferredItem, PlanogramEntry, Product, ShelfChange } from './types.js';

export { type ItemOptions, itemDefaults, resolveItemOptions } from './items-options.js';
export { defaultSpread, productFrom, type SpreadDefaults, spreadDefaults } from './items-products.js';

/**
 * The most probable items behind `change`, with their probabilities, or an anomaly that says what was
 * expected. Pure; never throws on a malformed change (that is an anomaly too), only on bad options.
 */
export function explainChange(
  change: ShelfChange,
  planogram: readonly PlanogramEntry[],
  catalogue: ReadonlyMap<string, Product>,
  options: Partial<ItemOptions> = {},
): Explanation {
  const o = resolveItemOptions(options);
  const problem = malformed(change);
  if (problem) return { kind: 'anomaly', reason: `malformed change: ${problem}` };
  const sign = Math.sign(change.deltaGrams);
  const target = Math.abs(change.deltaGrams);
  const head = `${grams(change.deltaGrams)} g on ${platesText(change.plates)}`;
  const share = shareOf(change, sign);
  const candidates = candidatesFor(change, share, planogram, catalogue, o);
  if (candidates.length === 0)
    return { kind: 'anomaly', reason: `${head}: no product on or next to it in the planogram` };

  const unexplained = Math.log(o.unexplainedOdds) - Math.log(target);
  const scene = { target, sigma: change.sigmaGrams, plates: change.plates, share };
  const { top, nothing, marginal } = weigh(candidates, scene, o, unexplained);
  const best = top[0];
  if (!best || nothing >= best.posterior) {
    const near = nearest(candidates, target, o.maxUnits, sign);
    return { kind: 'anomaly', reason: `${head} matches no item; nearest: ${near}` };
  }
  if (best.posterior < o.minConfidence) {
    const contenders = top.map((b) => ({ text: describe(b, candidates, sign), p: b.posterior }));
    contenders.push({ text: 'nothing in the planogram', p: nothing });
    contenders.sort((a, b) => b.p - a.p);
    const listed = contenders
      .filter((c) => c.p >= 0.01)
      .slice(0, 3)
      .map((c) => `${c.text} (${Math.round(c.p * 100)} %)`);
    return { kind: 'anomaly', reason: `${head} is ambiguous: ${listed.join(', ')}` };
  }
  const items: InferredItem[] = best.slots.map((slot, i) => ({
    sku: (candidates[slot] as Candidate).product.sku,
    qty: best.qty[i] as number,
    probability: round3(marginal(slot, best.qty[i] as number)),
  }));
  return { kind: 'items', direction: sign < 0 ? 'pick' : 'put', items, confidence: round3(best.posterior) };
}

/** Why a change cannot be explained at all, or undefined when it is well formed. */
function malformed(c: ShelfChange): string | undefined {
  if (!Number.isFinite(c.deltaGrams) || c.deltaGrams === 0) return `deltaGrams is ${c.deltaGrams}`;
  if (!Number.isFinite(c.sigmaGrams) || c.sigmaGrams < 0) return `sigmaGrams is ${c.sigmaGrams}`;
  const count = c.plateDeltas?.length ?? 0;
  if (!Array.isArray(c.plates) || c.plates.length === 0) return 'no plates';
  const bad = c.plates.find((p) => !Number.isInteger(p) || p < 0 || p >= count);
  if (bad !== undefined) return `plate ${bad} is not one of the shelf's ${count} plates`;
  return undefined;
}

/** Each changed plate's share of the change in its direction; equal shares when none moved that way. */
function shareOf(change: ShelfChange, sign: number): Float64Array {
  const share = new Float64Array(change.plates.length);
  let sum = 0;
  change.plates.forEach((p, j) => {
    const moved = sign * (change.plateDeltas[p] as number);
    share[j] = Math.max(moved, 0);
    sum += share[j] as number;
  });
  if (sum > 0) for (let j = 0; j < share.length; j++) share[j] = (share[j] as number) / sum;
  else share.fill(1 / share.length);
  return share;
}

/** The products within reach of the change, sorted by weight (the search relies on it). */
function candidatesFor(
  change: ShelfChange,
  share: Float64Array,
  planogram: readonly PlanogramEntry[],
  catalogue: ReadonlyMap<string, Product>,
  o: ItemOptions,
): Candidate[] {
  const plateCount = change.plateDeltas.length;
  const zones = new Map<string, Uint8Array>();
  for (const entry of planogram) {
    let zone = zones.get(entry.sku);
    for (const home of entry.plates) {
      if (!Number.isInteger(home) || home < 0 || home >= plateCount) continue;
      zone ??= new Uint8Array(plateCount);
      const from = Math.max(0, home - o.reachPlates);
      const to = Math.min(plateCount - 1, home + o.reachPlates);
      for (let p = from; p <= to; p++) zone[p] = Math.max(zone[p] as number, p === home ? HOME : NEAR);
    }
    if (zone) zones.set(entry.sku, zone);
  }
  const candidates: Candidate[] = [];
  for (const [sku, zone] of zones) {
    const product = catalogue.get(sku);
    if (!product || !(product.grams > 0) || !(product.spreadGrams >= 0)) continue;
    if (!Number.isFinite(product.grams + product.spreadGrams)) continue;
    let home = 0;
    let near = 0;
    let touched = false;
    change.plates.forEach((p, j) => {
      const z = zone[p] as number;
      touched ||= z > 0;
      if (z === HOME) home += share[j] as number;
      else if (z === NEAR) near += share[j] as number;
    });
    if (!touched) continue;
    // Geometric in the shares: each gram away from home makes the product less likely, so a product
    // that only catches a spill at the edge of the change does not get that edge's credit.
    const location = o.nearWeight ** near * FAR_WEIGHT ** Math.max(0, 1 - home - near);
    const { grams, spreadGrams } = product;
    candidates.push({ product, grams, spreadGrams, zone, reach: home + near, location });
  }
  return candidates.sort((a, b) => a.grams - b.grams || (a.product.sku < b.product.sku ? -1 : 1));
}

/** The single product whose whole units come closest to the change, as "2 × Cola = -710 g". */
function nearest(candidates: Candidate[], target: number, maxUnits: number, sign: number): string {
  let text = '';
  let gap = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const qty = Math.min(maxUnits, Math.max(1, Math.round(target / c.grams)));
    const off = Math.abs(qty * c.grams - target);
    if (off < gap) {
      gap = off;
      text = `${qty} × ${c.product.name ?? c.product.sku} = ${grams(sign * qty * c.grams)} g`;
    }
  }
  return text;
}

function describe(bag: Bag, candidates: Candidate[], sign: number): string {
  const parts = bag.slots.map((slot, i) => {
    const c = candidates[slot] as Candidate;
    return `${bag.qty[i]} × ${c.product.name ?? c.product.sku}`;
  });
  return `${parts.join(' + ')} = ${grams(sign * bag.grams)} g`;
}

function grams(value: number): string {
  const magnitude = Math.abs(value);
  const shown = magnitude < 10 ? magnitude.toFixed(1) : String(Math.round(magnitude));
  return `${value < 0 ? '-' : '+'}${shown}`;
}

/** "plate 3", "plates 2-4", "plates 1, 3-4". */
function platesText(plates: readonly number[]): string {
  const sorted = [...plates].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) <= (sorted[j] as number) + 1) j++;
    runs.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return `${sorted.length === 1 ? 'plate' : 'plates'} ${runs.join(', ')}`;
}

function round3(p: number): number {
  return Math.round(p * 1000) / 1000;
}
