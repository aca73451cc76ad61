// Item inference on a realistic shelf: 30 products over 12 plates (look-alike bars sharing plates,
// snacks, cleaners, drinks), changes of one to three units, now and then two products at once, with
// real-scale errors. The rate is a number for `npm run bench`; the simulated changes also serve tests.
import { explainChange } from '../src/sensing/items.js';
import type { PlanogramEntry, Product, ShelfChange } from '../src/sensing/types.js';
import { Random } from '../src/system/random.js';

const PLATES = 12;

/** Unit weights of everyday products (grams), in shelf order: bars, snacks, cleaners, drinks. */
const weights = [
  89, 86, 95, 84, 86, 83, 93, 88, 75, 83, 85, 77, 91, 84, 103, 54, 110, 109, 105, 149, 204, 264, 272, 327,
  306, 344, 355, 409, 460, 538,
];

export interface BenchShelf {
  planogram: PlanogramEntry[];
  catalogue: Map<string, Product>;
}

/** The bench shelf: each product on one or two plates, two or three products to a plate. */
export function benchShelf(): BenchShelf {
  const planogram: PlanogramEntry[] = [];
  const catalogue = new Map<string, Product>();
  weights.forEach((grams, i) => {
    const sku = `sku-${String(i).padStart(2, '0')}`;
    const first = Math.floor((i * PLATES) / weights.length);
    const plates = i % 2 === 0 && first + 1 < PLATES ? [first, first + 1] : [first];
    planogram.push({ sku, plates });
    catalogue.set(sku, { sku, grams, spreadGrams: Math.max(2, 0.03 * grams) });
  });
  return { planogram, catalogue };
}

/** A change and what truly caused it: units of which products, taken (pick) or brought back (put). */
export interface SimulatedChange {
  change: ShelfChange;
  truth: { sku: string; qty: number }[];
}

/**
 * Changes as the sensor would report them: units drawn from each product's spread, the whole change
 * read a few % off (one scale error per change), a tenth of a unit's weight spilling onto a
 * neighbour plate one time in five, and 1 g of noise per plate.
 */
export function simulatedChanges(
  shelf: BenchShelf,
  count: number,
  seed: number,
  mixed = true,
): SimulatedChange[] {
  const random = new Random(seed);
  const out: SimulatedChange[] = [];
  for (let n = 0; n < count; n++) {
    const index = random.int(shelf.planogram.length);
    const taken: [PlanogramEntry, number][] = [];
    taken.push([
      shelf.planogram[index] as PlanogramEntry,
      random.next() < 0.7 ? 1 : random.next() < 0.7 ? 2 : 3,
    ]);
    const next = shelf.planogram[index + 1];
    if (mixed && next && random.next() < 0.1) taken.push([next, 1]);
    const sign = random.next() < 0.8 ? -1 : 1;
    const plateDeltas = new Float64Array(PLATES);
    const scale = 1 + 0.02 * random.gaussian();
    for (const [entry, units] of taken) {
      const product = shelf.catalogue.get(entry.sku) as Product;
      const first = entry.plates[0] as number;
      const side = first > 0 ? first - 1 : first + 1;
      for (let u = 0; u < units; u++) {
        const unit = sign * (product.grams + product.spreadGrams * random.gaussian()) * scale;
        const spill = random.next() < 0.2 ? 0.1 : 0;
        plateDeltas[side] = (plateDeltas[side] as number) + unit * spill;
        for (const p of entry.plates)
          plateDeltas[p] = (plateDeltas[p] as number) + (unit * (1 - spill)) / entry.plates.length;
      }
    }
    const plates: number[] = [];
    let deltaGrams = 0;
    plateDeltas.forEach((d, p) => {
      if (d === 0) return;
      plateDeltas[p] = d + random.gaussian();
      plates.push(p);
      deltaGrams += plateDeltas[p] as number;
    });
    const change: ShelfChange = {
      type: 'change',
      startedAt: 0,
      settledAt: 0,
      decidedAt: 0,
      plates,
      plateDeltas,
      deltaGrams,
      sigmaGrams: 2,
    };
    out.push({ change, truth: taken.map(([entry, qty]) => ({ sku: entry.sku, qty })) });
  }
  return out;
}

/** Explanations per second over `count` simulated changes on the bench shelf. */
export function explanationsPerSecond(count = 20_000, seed = 7): number {
  const shelf = benchShelf();
  const changes = simulatedChanges(shelf, count, seed).map((s) => s.change);
  for (const c of changes.slice(0, 500)) explainChange(c, shelf.planogram, shelf.catalogue); // warm the JIT
  const start = process.hrtime.bigint();
  for (const c of changes) explainChange(c, shelf.planogram, shelf.catalogue);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}
