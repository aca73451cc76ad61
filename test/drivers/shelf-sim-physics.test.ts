import t from 'tap';
import type { SampleBatch } from '../../src/drivers/weight/port.js';
import { type ShelfPhysics, SimShelf } from '../../src/drivers/weight/sim.js';
import { itemSplit } from '../../src/drivers/weight/sim-physics.js';
import { FakeClock } from '../../src/system/clock.js';
import { Random } from '../../src/system/random.js';

/** Noise and drift off, so every reading is the physics alone and can be compared exactly. */
const exact = (plates: number): Partial<ShelfPhysics> => ({
  baseGrams: Array.from({ length: plates }, (_, i) => 1000 * (i + 1)),
  plateNoiseGrams: Array.from({ length: plates }, () => 0),
  driftGrams: 0,
});

async function openShelf(physics: Partial<ShelfPhysics>, plates = 4, sampleRateHz = 40, seed = 7) {
  const clock = new FakeClock();
  const shelf = new SimShelf({ id: 'shelf-a1', plates, sampleRateHz }, clock, new Random(seed), physics);
  const batches: SampleBatch[] = [];
  shelf.onData((batch) => batches.push(batch));
  await shelf.open();
  return { clock, shelf, batches };
}

/** Every sample of one plate as [time, value]. */
function readings(batches: SampleBatch[], plate: number): [number, number][] {
  const out: [number, number][] = [];
  for (const b of batches)
    for (let i = 0; i < b.values.length / b.channels; i++)
      out.push([b.t0 + (i * 1000) / b.rateHz, b.values[i * b.channels + plate] as number]);
  return out;
}

const valuesOf = (batches: SampleBatch[], plate: number, from = -Infinity, to = Infinity) =>
  readings(batches, plate)
    .filter(([at]) => at >= from && at < to)
    .map(([, v]) => v);

function deviation(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
}

t.test('each plate has its own noise level around the configured mean, and a few are noisier', async (t) => {
  const { clock, shelf, batches } = await openShelf({ noiseGrams: 0.5, noisyPlateShare: 0.1 }, 40);
  clock.advance(30_000);
  const levels = Array.from({ length: 40 }, (_, p) => shelf.noiseGrams(p));
  for (let p = 0; p < 40; p++) {
    const measured = deviation(valuesOf(batches, p));
    const expected = shelf.noiseGrams(p);
    if (Math.abs(measured - expected) > 0.1 * expected + 0.02)
      t.fail(`plate ${p} shows ${measured.toFixed(3)} g of noise, its level is ${expected.toFixed(3)} g`);
  }
  const sorted = [...levels].sort((a, b) => a - b);
  const median = sorted[20] as number;
  t.ok(median > 0.4 && median < 0.6, `the typical plate has ${median.toFixed(2)} g, around 0.5 g`);
  t.ok((sorted[5] as number) < 0.95 * median && (sorted[34] as number) > 1.05 * median, 'levels differ');
  const noisy = levels.filter((l) => l >= 1.8 * median).length;
  t.ok(noisy >= 1 && noisy <= 10, `${noisy} of 40 plates are markedly noisier`);
});

t.test('noise levels can be fixed per plate', async (t) => {
  const { clock, batches } = await openShelf({ plateNoiseGrams: [0.2, 0.2, 2, 0.2], driftGrams: 0 });
  clock.advance(20_000);
  t.ok(Math.abs(deviation(valuesOf(batches, 2)) - 2) < 0.15, 'plate 2 is the noisy one');
  t.ok(Math.abs(deviation(valuesOf(batches, 1)) - 0.2) < 0.02);
});

t.test(
  'a hand pressing on two plates raises them, wobbles, and lets go to exactly the load before',
  async (t) => {
    const { clock, shelf, batches } = await openShelf(exact(4));
    clock.advance(1000);
    const before = [0, 1, 2, 3].map((p) => valuesOf(batches, p).at(-1) as number);
    const pressed = clock.now();
    const force = shelf.press([1, 2], 400, 1500);
    t.equal(force.length, 2);
    t.ok(Math.abs((force[0] as number) + (force[1] as number) - 400) < 1e-9, 'the force is shared');
    clock.advance(1500);
    const held = (p: number) => valuesOf(batches, p, pressed + 700, pressed + 1500);
    for (const [i, p] of [1, 2].entries()) {
      const mean = held(p).reduce((a, b) => a + b, 0) / held(p).length;
      const share = force[i] as number;
      t.ok(Math.abs(mean - (before[p] as number) - share) < 0.1 * share, `plate ${p} carries its share`);
      t.ok(deviation(held(p)) > 0.02 * share, `plate ${p} wobbles under the hand`);
    }
    t.equal(shelf.grams(1), 2000, 'a hand is not load on the shelf');
    clock.advance(3000);
    for (const p of [0, 1, 2, 3])
      t.same(
        valuesOf(batches, p, pressed + 4000),
        valuesOf(batches, p, pressed + 4000).map(() => before[p]),
        `plate ${p} reads exactly what it read before`,
      );
    t.same(
      valuesOf(batches, 0, pressed),
      valuesOf(batches, 0, pressed).map(() => 1000),
      'plate 0 never moved',
    );
  },
);

t.test('a hand that lets go while the shelf is closed is gone when it opens again', async (t) => {
  const { clock, shelf, batches } = await openShelf(exact(2), 2);
  shelf.press([0], 300, 500);
  await shelf.close();
  clock.advance(5000);
  await shelf.open();
  clock.advance(500);
  t.same(new Set(valuesOf(batches, 0, clock.now() - 400)), new Set([1000]));
});

t.test('a new press on a pressed plate replaces the first, and both end where they began', async (t) => {
  const { clock, shelf, batches } = await openShelf(exact(1), 1);
  shelf.press([0], 200, 2000);
  clock.advance(300);
  shelf.press([0], 500, 400);
  clock.advance(600);
  const peak = Math.max(...valuesOf(batches, 0, clock.now() - 600, clock.now() - 200));
  t.ok(peak > 1400, `the second hand pushes harder (${peak.toFixed(0)} g)`);
  clock.advance(3000);
  t.same(new Set(valuesOf(batches, 0, clock.now() - 1000)), new Set([1000]), 'the second hand let go');
});

t.test('an item across three plates changes them by uneven amounts that sum to its weight', async (t) => {
  const { clock, shelf, batches } = await openShelf(exact(4));
  clock.advance(1000);
  const split = shelf.placeItem([0, 1, 2], 900);
  t.ok(Math.abs(split.reduce((a, b) => a + b, 0) - 900) < 1e-9);
  t.not(split[0], split[2], 'an item never sits exactly in the middle');
  for (const share of split) t.ok(share >= 150 && share <= 450, `a share of ${share.toFixed(1)} g`);
  clock.advance(3000);
  const changes = [0, 1, 2, 3].map((p) => (valuesOf(batches, p).at(-1) as number) - 1000 * (p + 1));
  for (const p of [0, 1, 2]) t.ok(Math.abs((changes[p] as number) - (split[p] as number)) < 0.01);
  t.ok(Math.abs(changes.reduce((a, b) => a + b, 0) - 900) < 0.01, 'the shelf gained 900 g in all');
  t.equal(changes[3], 0, 'the plate beside it did not move');
  const lifted = shelf.liftItem([0, 1, 2], split);
  t.same(lifted, split, 'a known unit leaves exactly what it put on each plate');
  t.same(
    [0, 1, 2].map((p) => shelf.grams(p)),
    [1000, 2000, 3000],
  );
});

t.test('the split follows the rigid-item rule: 25-75 % on two plates, 1/6-1/2 on three', (t) => {
  const random = new Random(11);
  const two = Array.from({ length: 500 }, () => itemSplit(2, 100, random)[0] as number);
  t.ok(Math.min(...two) >= 25 && Math.max(...two) <= 75);
  t.ok(Math.min(...two) < 30 && Math.max(...two) > 70, 'the whole range occurs');
  const three = Array.from({ length: 500 }, () => itemSplit(3, 600, random));
  for (const s of three) if (Math.min(...s) < 100 - 1e-9 || Math.max(...s) > 300 + 1e-9) t.fail(`${s}`);
  t.ok(
    three.every((s) => Math.abs((s[1] as number) - 200) < 1e-9),
    'the middle plate carries a third',
  );
  t.same(itemSplit(1, 42, random), [42]);
  t.end();
});

t.test('lifting an unknown unit splits it too, and stock set out beforehand does not ring', async (t) => {
  const { clock, shelf, batches } = await openShelf(exact(2), 2);
  clock.advance(500);
  const stocked = shelf.stockItem([0, 1], 600);
  clock.advance(100);
  const after = valuesOf(batches, 0, clock.now() - 90);
  t.ok(after.length > 0);
  t.same(new Set(after), new Set([Math.fround(1000 + (stocked[0] as number))]), 'no ringing, at once');
  const lifted = shelf.liftItem([0, 1], 300);
  t.ok(Math.abs(shelf.grams(0) + shelf.grams(1) - 3300) < 1e-9);
  t.ok(Math.abs((lifted[0] as number) + (lifted[1] as number) - 300) < 1e-9);
});

t.test('a plate saturates at its capacity and at the lower end of its amplifier', async (t) => {
  const { clock, shelf, batches } = await openShelf({ ...exact(3), baseGrams: [19_500, 2000, 100] }, 3);
  shelf.place(0, 1000);
  shelf.lift(2, 5000);
  clock.advance(3000);
  const first = valuesOf(batches, 0);
  t.equal(Math.max(...first), 20_000, 'never more than the 20 kg rating, even while ringing');
  t.equal(first.at(-1), 20_000, 'settled at the rating');
  t.equal(shelf.grams(0), 20_500, 'the load is there all the same');
  t.equal(valuesOf(batches, 2).at(-1), -1000, 'the lower end is 5 % of the rating below zero');
  t.equal(valuesOf(batches, 1).at(-1), 2000);

  const small = await openShelf({ ...exact(1), capacityGrams: 5000, floorGrams: -50 }, 1);
  small.shelf.place(0, 6000);
  small.clock.advance(3000);
  t.equal(valuesOf(small.batches, 0).at(-1), 5000);
  small.shelf.lift(0, 8000);
  small.clock.advance(3000);
  t.equal(valuesOf(small.batches, 0).at(-1), -50);
});

t.test('lost lines leave gaps, and every batch stays evenly spaced from its own t0', async (t) => {
  const physics = { ...exact(3), dropRate: 0.05 };
  const lossy = await openShelf(physics, 3, 60);
  const clean = await openShelf(exact(3), 3, 60);
  const opened = lossy.clock.now();
  for (const { clock, shelf } of [lossy, clean]) {
    clock.advance(2000);
    shelf.place(1, 250);
    clock.advance(18_000);
  }
  const taken = 20 * 60 + 1;
  const delivered = lossy.batches.reduce((n, b) => n + b.values.length / 3, 0);
  t.ok(
    lossy.shelf.droppedSamples > 30 && lossy.shelf.droppedSamples < 100,
    `${lossy.shelf.droppedSamples} lost`,
  );
  t.equal(delivered + lossy.shelf.droppedSamples, taken, 'every sample is either delivered or counted lost');
  t.ok(lossy.batches.length > clean.batches.length, 'a loss splits a batch');
  let gaps = 0;
  let end = opened;
  for (const b of lossy.batches) {
    t.equal(b.values.length % 3, 0);
    const index = ((b.t0 - opened) * 60) / 1000;
    if (Math.abs(index - Math.round(index)) > 1e-3) t.fail(`batch at ${b.t0} is off the sample grid`);
    if (b.t0 > end + 1) gaps++;
    if (b.t0 < end - 1e-6) t.fail('batches overlap');
    end = b.t0 + ((b.values.length / 3) * 1000) / 60;
  }
  t.ok(gaps > 0, `${gaps} gaps in the stream`);
  const truth = new Map(readings(clean.batches, 1).map(([at, v]) => [Math.round(at), v]));
  const wrong = readings(lossy.batches, 1).filter(([at, v]) => truth.get(Math.round(at)) !== v);
  t.same(wrong, [], 'each delivered sample carries the reading of its own time');
  t.equal(clean.shelf.droppedSamples, 0, 'no loss unless asked for');
});

t.test(
  'a plate made to fail reads NaN, a constant, or much noise, and reads its load once repaired',
  async (t) => {
    const { clock, shelf, batches } = await openShelf({
      ...exact(4),
      plateNoiseGrams: [0.5, 0.5, 0.5, 0.5],
      driftGrams: 1,
    });
    clock.advance(1000);
    shelf.failPlate(0, 'dead');
    shelf.failPlate(1, 'stuck');
    shelf.failPlate(2, 'noisy');
    t.same(
      [0, 1, 2, 3].map((p) => shelf.failure(p)),
      ['dead', 'stuck', 'noisy', undefined],
    );
    const from = clock.now() + 1;
    shelf.place(1, 500);
    clock.advance(20_000);
    t.ok(valuesOf(batches, 0, from).every(Number.isNaN), 'a dead plate reads NaN');
    const stuck = new Set(valuesOf(batches, 1, from));
    t.equal(stuck.size, 1, 'a stuck plate repeats one value, load or not');
    t.ok(Math.abs(([...stuck][0] as number) - 2000) < 4, 'the value it read when it stuck');
    const sd = deviation(valuesOf(batches, 2, from));
    t.ok(sd > 8 && sd < 12, `a noisy plate shows ${sd.toFixed(1)} g of noise, 20 times its 0.5 g`);
    t.ok(
      valuesOf(batches, 3, from).every((v) => Math.abs(v - 4000) < 4),
      'the healthy plate is unaffected',
    );
    for (const p of [0, 1, 2]) shelf.repairPlate(p);
    const repaired = clock.now() + 1;
    clock.advance(2000);
    t.ok(Math.abs(deviation(valuesOf(batches, 1, repaired)) - 0.5) < 0.25);
    t.ok(
      valuesOf(batches, 1, repaired).every((v) => Math.abs(v - 2500) < 4),
      'the item placed meanwhile shows',
    );
    t.ok(valuesOf(batches, 0, repaired).every(Number.isFinite));
    t.equal(shelf.failure(1), undefined);
    t.throws(() => shelf.failPlate(0, 'melted' as never), /'dead', 'stuck' or 'noisy'/);
  },
);

t.test('a shelf refuses items, hands and settings that make no sense', (t) => {
  const clock = new FakeClock();
  const config = { id: 'shelf-a1', plates: 4, sampleRateHz: 40 };
  const shelf = new SimShelf(config, clock, new Random(1));
  t.throws(() => shelf.placeItem([], 100), /at least one plate/);
  t.throws(() => shelf.placeItem([1, 1], 100), /plates repeat/);
  t.throws(() => shelf.placeItem([3, 4], 100), /plates 0-3/);
  t.throws(() => shelf.liftItem([0, 1], [1, 2, 3]), /3 weights for 2 plates/);
  t.throws(() => shelf.liftItem([0, 1], [1, Number.POSITIVE_INFINITY]), /finite/);
  t.throws(() => shelf.press([0], 100, 0), /holdMs/);
  t.throws(() => shelf.press([0], Number.NaN, 100), /finite/);
  t.throws(() => shelf.noiseGrams(9), RangeError);
  t.throws(() => new SimShelf(config, clock, new Random(1), { dropRate: 1 }), /dropRate/);
  t.throws(
    () => new SimShelf(config, clock, new Random(1), { plateNoiseGrams: [1] }),
    /plateNoiseGrams has 1/,
  );
  t.ok(new SimShelf(config, clock, new Random(1), { capacityGrams: undefined }), 'undefined means default');
  t.end();
});
