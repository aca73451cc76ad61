import t from 'tap';
import type { SampleBatch } from '../../src/drivers/weight/port.js';
import { type ShelfPhysics, SimShelf } from '../../src/drivers/weight/sim.js';
import type { PlanogramEntry, Product } from '../../src/sensing/types.js';
import { type ShelfAction, ShelfShoppers, type ShopperHabits } from '../../src/sim/shelf-shoppers.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { Random } from '../../src/system/random.js';

const catalogue = new Map<string, Product>(
  [
    { sku: 'cola-330', grams: 355, spreadGrams: 4 },
    { sku: 'crisps-150', grams: 160, spreadGrams: 5 },
    { sku: 'water-1500', grams: 1540, spreadGrams: 12 },
  ].map((p) => [p.sku, p]),
);

const planograms: Record<string, PlanogramEntry[]> = {
  'shelf-a1': [
    { sku: 'cola-330', plates: [0] },
    { sku: 'crisps-150', plates: [1, 2, 3] },
  ],
  'shelf-b1': [{ sku: 'water-1500', plates: [1, 2] }],
};

/** Noise and drift off, so a settled reading is exactly the load on the plate. */
const exact = (plates: number): Partial<ShelfPhysics> => ({
  baseGrams: Array.from({ length: plates }, () => 800),
  plateNoiseGrams: Array.from({ length: plates }, () => 0),
  driftGrams: 0,
});

async function store(seed: number, habits: Partial<ShopperHabits> = {}, everySeconds = 6, open = true) {
  const clock = new FakeClock();
  const shelves = ['shelf-a1', 'shelf-b1'].map(
    (id) => new SimShelf({ id, plates: 4, sampleRateHz: 40 }, clock, new Random(seed).fork(id), exact(4)),
  );
  const shoppers = new ShelfShoppers({
    shelves: shelves.map((shelf) => ({ shelf, planogram: planograms[shelf.id] ?? [] })),
    catalogue,
    clock,
    random: new Random(seed),
    everySeconds,
    log: silentLogger(),
    habits,
  });
  const samples = new Map<string, SampleBatch[]>();
  for (const shelf of shelves) {
    const batches: SampleBatch[] = [];
    samples.set(shelf.id, batches);
    shelf.onData((b) => batches.push(b));
    if (open) await shelf.open();
  }
  const actions: ShelfAction[] = [];
  shoppers.onAction((a) => actions.push(a));
  shoppers.start();
  return { clock, shelves, shoppers, actions, samples };
}

/** The reading of one plate at the sample nearest `at`. */
function readingAt(batches: SampleBatch[], plate: number, at: number): number {
  for (const b of batches) {
    const i = Math.round(((at - b.t0) * b.rateHz) / 1000);
    if (i >= 0 && i < b.values.length / b.channels) return b.values[i * b.channels + plate] as number;
  }
  throw new Error(`no sample at ${at}`);
}

t.test('the shelf is stocked, and every pick, put and touch shows on its plates as reported', async (t) => {
  const { clock, shelves, shoppers, actions, samples } = await store(3, { putBack: 0.4 });
  const opened = clock.now();
  const stocked = {
    cola: shoppers.stock('shelf-a1', 'cola-330'),
    water: shoppers.stock('shelf-b1', 'water-1500'),
  };
  t.equal(stocked.cola, 10, 'ten of each product set out');
  t.ok(Math.abs((shelves[0] as SimShelf).grams(0) - 800 - 3550) < 50, 'plate 0 carries ten colas');
  clock.advance(30 * 60_000);
  const kinds = new Set(actions.map((a) => `${a.direction}${a.qty}`));
  t.same([...kinds].sort(), ['pick1', 'pick2', 'put1', 'touch0'], 'picks of one and two, puts and touches');

  // Settled readings, 2 s after each action and at opening, step by exactly what was reported.
  for (const shelf of shelves) {
    const batches = samples.get(shelf.id) as SampleBatch[];
    let settled = [0, 1, 2, 3].map((p) => readingAt(batches, p, opened));
    for (const a of actions.filter((x) => x.shelfId === shelf.id && x.until < clock.now() - 2000)) {
      const now = [0, 1, 2, 3].map((p) => readingAt(batches, p, a.until + 2000));
      const expected = settled.map((v, p) => {
        const i = a.plates.indexOf(p);
        return i < 0 ? v : v + (a.plateDeltas[i] as number);
      });
      if (now.some((v, p) => Math.abs(v - (expected[p] as number)) > 0.05))
        t.fail(`${a.direction} of ${a.sku} at ${a.at}: plates read ${now}, expected ${expected}`);
      const moved = a.plateDeltas.reduce((s, d) => s + d, 0);
      const sign = a.direction === 'pick' ? -1 : a.direction === 'put' ? 1 : 0;
      if (Math.abs(moved - sign * a.grams) > 1e-6)
        t.fail(`${a.direction} moved ${moved} g, reported ${a.grams} g`);
      settled = now;
    }
  }

  const units = (sku: string, shelfId: string) =>
    actions
      .filter((a) => a.sku === sku && a.shelfId === shelfId)
      .reduce((n, a) => n + (a.direction === 'pick' ? -a.qty : a.direction === 'put' ? a.qty : 0), 0);
  t.equal(shoppers.stock('shelf-a1', 'cola-330'), stocked.cola + units('cola-330', 'shelf-a1'));
  t.equal(shoppers.stock('shelf-b1', 'water-1500'), stocked.water + units('water-1500', 'shelf-b1'));
  for (const a of actions.filter((x) => x.direction !== 'touch')) {
    const unit = catalogue.get(a.sku) as Product;
    const each = a.grams / a.qty;
    if (Math.abs(each - unit.grams) > 5 * unit.spreadGrams) t.fail(`a unit of ${a.sku} weighed ${each} g`);
  }
  shoppers.stop();
});

t.test('stock never goes below zero: an empty lane only gets touched', async (t) => {
  const { clock, shoppers, actions } = await store(5, { stock: 2, putBack: 0 }, 2);
  clock.advance(20 * 60_000);
  const picked = (sku: string) =>
    actions.filter((a) => a.sku === sku && a.direction === 'pick').reduce((n, a) => n + a.qty, 0);
  for (const [shelfId, sku] of [
    ['shelf-a1', 'cola-330'],
    ['shelf-a1', 'crisps-150'],
    ['shelf-b1', 'water-1500'],
  ] as const) {
    t.equal(picked(sku), 2, `both units of ${sku} were taken, and no more`);
    t.equal(shoppers.stock(shelfId, sku), 0);
    const last = actions.filter((a) => a.sku === sku && a.direction === 'pick').at(-1) as ShelfAction;
    const later = actions.filter((a) => a.sku === sku && a.at > last.at);
    t.ok(later.length > 0 && later.every((a) => a.direction === 'touch'), `${sku}: only touches once empty`);
  }
  shoppers.stop();
});

t.test('a hand rests on the plates before some picks, and the load rises before it drops', async (t) => {
  const { clock, shoppers, actions, samples } = await store(9, { handFirst: 1, touch: 0, putBack: 0 });
  clock.advance(5 * 60_000);
  const picks = actions.filter((a) => a.direction === 'pick');
  t.ok(picks.length > 10);
  for (const a of picks) {
    const batches = samples.get(a.shelfId) as SampleBatch[];
    const plate = a.plates[0] as number;
    const before = readingAt(batches, plate, a.at - 1000 - 400);
    const pressed = readingAt(batches, plate, a.at - 75);
    if (!(pressed > before + 5)) t.fail(`no hand before the pick at ${a.at}: ${before} then ${pressed}`);
  }
  shoppers.stop();
});

t.test('the same seed gives the same shoppers, another seed others', async (t) => {
  const run = async (seed: number, open = true) => {
    const s = await store(seed, { putBack: 0.3 }, 6, open);
    s.clock.advance(10 * 60_000);
    s.shoppers.stop();
    return s.actions;
  };
  const a = await run(21);
  t.ok(a.length > 50, `${a.length} actions in 10 minutes at one per 6 s`);
  t.same(await run(21), a);
  t.same(await run(21, false), a, 'whether or not anyone reads the shelves');
  t.notSame(await run(22), a);
});

t.test('stopping forgets put-backs due and leaves no timer; nobody comes at everySeconds 0', async (t) => {
  const { clock, shoppers, actions } = await store(4, { putBack: 1, touch: 0 });
  shoppers.start();
  shoppers.start();
  while (!actions.some((a) => a.direction === 'pick')) clock.advance(100);
  shoppers.stop();
  const seen = actions.length;
  clock.advance(60_000);
  t.equal(actions.length, seen, 'no shopper after stop, and the unit is not put back');
  const pending = clock.pending;
  t.equal(pending, 2, 'only the two shelves sampling remain');

  const idle = await store(4, {}, 0);
  idle.shoppers.start();
  idle.clock.advance(60 * 60_000);
  t.same(idle.actions, []);
  const empty = new ShelfShoppers({
    shelves: [],
    catalogue,
    clock,
    random: new Random(1),
    everySeconds: 5,
    log: silentLogger(),
  });
  empty.start();
  t.equal(clock.pending, pending, 'no shelves, no visits');
});

t.test('a put-back waits until the shelf is free', async (t) => {
  const { clock, shoppers, actions } = await store(13, { putBack: 1, touch: 0.5 }, 1);
  shoppers.start();
  clock.advance(10 * 60_000);
  const byShelf = new Map<string, number>();
  for (const a of actions) {
    const previous = byShelf.get(a.shelfId);
    if (previous !== undefined && a.at - previous < 2500 && a.direction === 'put')
      t.fail(`a put at ${a.at} only ${a.at - previous} ms after the last action on ${a.shelfId}`);
    byShelf.set(a.shelfId, a.at);
  }
  t.ok(actions.filter((a) => a.direction === 'put').length > 10, 'many puts, none crowding another action');
  shoppers.stop();
});

t.test('plates are stocked only to 80 % of their rating', (t) => {
  const clock = new FakeClock();
  const shelf = new SimShelf({ id: 's', plates: 2, sampleRateHz: 40 }, clock, new Random(1), {
    ...exact(2),
    capacityGrams: 5000,
  });
  const shoppers = new ShelfShoppers({
    shelves: [{ shelf, planogram: [{ sku: 'water-1500', plates: [0] }] }],
    catalogue,
    clock,
    random: new Random(1),
    everySeconds: 5,
    log: silentLogger(),
  });
  t.equal(shoppers.stock('s', 'water-1500'), 2, 'two 1.5 kg bottles fit under 4 kg with the tray');
  t.ok(shelf.grams(0) <= 4000);
  t.end();
});

t.test('shoppers refuse a product the catalogue lacks, and a negative pace', (t) => {
  const clock = new FakeClock();
  const shelf = new SimShelf({ id: 's', plates: 2, sampleRateHz: 40 }, clock, new Random(1));
  const options = { catalogue, clock, random: new Random(1), log: silentLogger() };
  t.throws(
    () =>
      new ShelfShoppers({
        ...options,
        shelves: [{ shelf, planogram: [{ sku: 'nope', plates: [0] }] }],
        everySeconds: 5,
      }),
    /shelf s: product "nope" is not in the catalogue/,
  );
  t.throws(() => new ShelfShoppers({ ...options, shelves: [], everySeconds: -1 }), /everySeconds/);
  t.end();
});
