import t from 'tap';
import type { SampleBatch } from '../../src/drivers/weight/port.js';
import { SimShelf } from '../../src/drivers/weight/sim.js';
import { FakeClock } from '../../src/system/clock.js';
import { Random } from '../../src/system/random.js';

const shelfConfig = { id: 'shelf-a1', plates: 4, sampleRateHz: 40 };

async function openShelf(options: { sampleRateHz?: number; plates?: number } = {}) {
  const clock = new FakeClock();
  const shelf = new SimShelf({ ...shelfConfig, ...options }, clock, new Random(7), {
    baseGrams: Array.from({ length: options.plates ?? 4 }, (_, i) => 1000 * (i + 1)),
  });
  const batches: SampleBatch[] = [];
  shelf.onData((batch) => batches.push(batch));
  await shelf.open();
  return { clock, shelf, batches };
}

/** Mean of one plate over the samples taken in [from, to). */
function meanOf(batches: SampleBatch[], plate: number, from: number, to: number): number {
  let sum = 0;
  let n = 0;
  for (const b of batches)
    for (let i = 0; i < b.values.length / b.channels; i++) {
      const at = b.t0 + (i * 1000) / b.rateHz;
      if (at < from || at >= to) continue;
      sum += b.values[i * b.channels + plate] as number;
      n++;
    }
  return sum / n;
}

t.test("the sim shelf's batches carry timestamps from sample count and rate", async (t) => {
  const { clock, shelf, batches } = await openShelf({ sampleRateHz: 60 });
  const opened = clock.now();
  clock.advance(1000);
  t.equal(batches.length, 10, 'a batch every 100 ms');
  let expected = opened;
  for (const b of batches) {
    t.equal(b.t0, expected, 'each batch starts where the previous one ended');
    t.equal(b.rateHz, 60);
    t.equal(b.channels, 4);
    t.type(b.values, Float32Array);
    expected += ((b.values.length / b.channels) * 1000) / 60;
  }
  const samples = batches.reduce((n, b) => n + b.values.length / b.channels, 0);
  t.equal(samples, 61, 'samples 0..60 taken at 0, 1/60 s, ... 1 s');
  await shelf.close();
  clock.advance(1000);
  t.equal(batches.length, 10, 'nothing after close');
});

t.test('a slow shelf (1 Hz) sends a batch only when a sample is due', async (t) => {
  const { clock, batches } = await openShelf({ sampleRateHz: 1 });
  clock.advance(2500);
  t.same(
    batches.map((b) => [b.t0 - Date.UTC(2025, 0, 1), b.values.length]),
    [
      [0, 4],
      [1000, 4],
      [2000, 4],
    ],
  );
});

t.test('a shelf at rest reads its load with about half a gram of noise', async (t) => {
  const { clock, shelf, batches } = await openShelf();
  clock.advance(10_000);
  const values = batches.flatMap((b) => Array.from(b.values).filter((_, i) => i % 4 === 1));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  t.ok(Math.abs(mean - 2000) < 1.5, `mean ${mean.toFixed(2)} g near the 2000 g base (plus drift)`);
  t.ok(sd > 0.3 && sd < 0.8, `noise ${sd.toFixed(2)} g`);
  t.ok(Math.abs(sd - shelf.noiseGrams(1)) < 0.1 * shelf.noiseGrams(1), "the plate's own noise level");
});

t.test(
  'lifting 350 g from plate 2 shows as about -350 g on plate 2 once settled, and nothing on the others',
  async (t) => {
    const { clock, shelf, batches } = await openShelf();
    clock.advance(1000);
    const start = clock.now();
    const before = [0, 1, 2, 3].map((p) => meanOf(batches, p, start - 1000, start));
    shelf.lift(2, 350);
    t.equal(shelf.grams(2), 3000 - 350);
    clock.advance(200);
    const ringing = batches.flatMap((b) => Array.from(b.values).filter((_, i) => i % 4 === 2)).slice(-8);
    t.ok(
      ringing.some((v) => Math.abs(v - (before[2] as number) + 350) > 20),
      'the plate rings for a moment after the change',
    );
    clock.advance(1800);
    const after = [0, 1, 2, 3].map((p) => meanOf(batches, p, start + 1500, start + 2000));
    const delta = after.map((a, p) => a - (before[p] as number));
    t.ok(Math.abs((delta[2] as number) + 350) < 1.5, `plate 2 changed by ${delta[2]?.toFixed(2)} g`);
    for (const p of [0, 1, 3])
      t.ok(Math.abs(delta[p] as number) < 1, `plate ${p} changed by ${delta[p]?.toFixed(2)} g`);
  },
);

t.test('samples taken before a change still show the old load', async (t) => {
  const { clock, shelf, batches } = await openShelf();
  clock.advance(150);
  shelf.place(0, 500);
  const last = batches.at(-1) as SampleBatch;
  t.equal(last.t0 + ((last.values.length / 4 - 1) * 1000) / 40, clock.now(), 'handed over up to now');
  t.ok(
    Math.abs((last.values.at(-4) as number) - 1000) < 3,
    'the last sample before the change reads ~1000 g',
  );
});

t.test(
  'changes on a closed shelf are there when it opens again, and unplugging stops the batches',
  async (t) => {
    const { clock, shelf, batches } = await openShelf();
    const lost: string[] = [];
    shelf.onLost((reason) => lost.push(reason));
    shelf.unplug('USB-RS485 adapter re-enumerating');
    t.same(lost, ['USB-RS485 adapter re-enumerating']);
    shelf.place(1, 100);
    clock.advance(5000);
    t.equal(batches.length, 0);
    shelf.plugIn();
    await shelf.open();
    clock.advance(3000);
    t.ok(Math.abs(meanOf(batches, 1, clock.now() - 1000, clock.now()) - 2100) < 1.5);
  },
);

t.test('a shelf refuses plates it does not have and physics that do not fit', (t) => {
  const clock = new FakeClock();
  const shelf = new SimShelf(shelfConfig, clock, new Random(1));
  t.throws(() => shelf.place(4, 10), RangeError);
  t.throws(() => shelf.lift(-1, 10), RangeError);
  t.throws(() => shelf.place(0, Number.NaN), RangeError);
  t.throws(() => shelf.grams(1.5), RangeError);
  t.ok(shelf.grams(0) >= 500 && shelf.grams(0) <= 3000, 'a random base load by default');
  t.throws(() => new SimShelf(shelfConfig, clock, new Random(1), { baseGrams: [1, 2] }), /expected 4/);
  t.end();
});

t.test('2,000 plates at 60 Hz cost little CPU', async (t) => {
  const clock = new FakeClock();
  const shelves = Array.from(
    { length: 500 },
    (_, i) => new SimShelf({ id: `s${i}`, plates: 4, sampleRateHz: 60 }, clock, new Random(i)),
  );
  let samples = 0;
  for (const shelf of shelves) {
    shelf.onData((b) => {
      samples += b.values.length;
    });
    await shelf.open();
  }
  // Keep some plates ringing all the time, as shoppers would.
  const random = new Random(3);
  const cpu = process.cpuUsage();
  for (let s = 0; s < 20; s++) {
    for (let k = 0; k < 20; k++) (shelves[random.int(500)] as SimShelf).place(random.int(4), 300);
    clock.advance(1000);
  }
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000;
  t.ok(samples >= 2000 * 60 * 20, `${samples} samples`);
  t.comment(`20 s of 2,000 plates at 60 Hz took ${ms.toFixed(0)} ms of CPU`);
  t.ok(ms < 2000, 'under a tenth of a core (generous, for slow CI)');
});
