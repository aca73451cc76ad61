// What the simulated shelves cost: 2,000 plates at 60 Hz, shoppers busy at them and a line lost now
// and then, on a fake clock so only the simulation's own work is measured. The daemon as a whole must
// stay under 15 % of one core on the simulated store, so the sim should be a small part of that.
import { pathToFileURL } from 'node:url';
import { SimShelf } from '../src/drivers/weight/sim.js';
import type { PlanogramEntry, Product } from '../src/sensing/types.js';
import { ShelfShoppers } from '../src/sim/shelf-shoppers.js';
import { FakeClock } from '../src/system/clock.js';
import { silentLogger } from '../src/system/log.js';
import { Random } from '../src/system/random.js';

export interface SimShelvesCost {
  plates: number;
  simulatedSeconds: number;
  cpuSeconds: number;
  /** Simulated seconds per CPU second: 100 means the sim takes 1 % of a core in real time. */
  speed: number;
  samples: number;
  actions: number;
}

/** Runs 2,000 plates (250 shelves of 8) at 60 Hz for `seconds` of simulated time; returns the speed. */
export async function simShelvesCost(seconds = 60): Promise<SimShelvesCost> {
  const clock = new FakeClock();
  const random = new Random(42);
  const product: Product = { sku: 'cola-330', grams: 355, spreadGrams: 4 };
  const planogram: PlanogramEntry[] = [
    { sku: product.sku, plates: [0] },
    { sku: product.sku, plates: [1, 2] },
    { sku: product.sku, plates: [3, 4, 5] },
    { sku: product.sku, plates: [6, 7] },
  ];
  const shelves = Array.from(
    { length: 250 },
    (_, i) =>
      new SimShelf({ id: `shelf-${i}`, plates: 8, sampleRateHz: 60 }, clock, random.fork(`shelf-${i}`), {
        dropRate: 0.001,
      }),
  );
  const shoppers = new ShelfShoppers({
    shelves: shelves.map((shelf) => ({ shelf, planogram })),
    catalogue: new Map([[product.sku, product]]),
    clock,
    random: random.fork('shoppers'),
    // A busy store: a shelf touched every second somewhere.
    everySeconds: 1,
    log: silentLogger(),
    habits: { stock: 30 },
  });
  let samples = 0;
  let actions = 0;
  shoppers.onAction(() => actions++);
  for (const shelf of shelves) {
    shelf.onData((batch) => {
      samples += batch.values.length / batch.channels;
    });
    await shelf.open();
  }
  shoppers.start();
  clock.advance(1000); // warm up the JIT before measuring
  const start = process.cpuUsage();
  clock.advance(seconds * 1000);
  const used = process.cpuUsage(start);
  shoppers.stop();
  for (const shelf of shelves) await shelf.close();
  const cpuSeconds = (used.user + used.system) / 1e6;
  return {
    plates: 2000,
    simulatedSeconds: seconds,
    cpuSeconds,
    speed: seconds / cpuSeconds,
    samples,
    actions,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cost = await simShelvesCost(Number(process.argv[2] ?? 60));
  process.stdout.write(
    `${cost.plates} plates at 60 Hz: ${cost.speed.toFixed(0)} simulated s per CPU s ` +
      `(${(100 / cost.speed).toFixed(2)} % of a core), ${cost.actions} shopper actions\n`,
  );
}
