import t from 'tap';
import { changesOf, disturbancesOf, faultsOf, SyntheticShelf, sense, T0 } from './shelf-signal.js';

const quiet = (plates = 12, rateHz = 60, seconds = 12) =>
  new SyntheticShelf({ plates, rateHz, seconds, noise: 0.5 });

t.test('a 500 g pick on one plate is one change of -500 g, bracketed from still to still', async (t) => {
  const { out } = sense(quiet().item(6000, [4], -500));
  const changes = changesOf(out);
  t.equal(changes.length, 1, 'exactly one change');
  const c = changes[0];
  if (!c) return;
  t.same(c.plates, [4]);
  t.ok(Math.abs(c.deltaGrams + 500) <= 3, `-500 ± 3 g (got ${c.deltaGrams.toFixed(2)})`);
  t.equal(c.plateDeltas.length, 12, 'one delta per plate');
  t.equal(c.plateDeltas[3], 0, 'plates that took no part read 0');
  t.ok(
    c.sigmaGrams > 0 && c.sigmaGrams < 1,
    `its uncertainty is the plate's noise over the windows (${c.sigmaGrams})`,
  );
  t.ok(
    c.startedAt <= T0 + 6000 && c.startedAt >= T0 + 6000 - 100,
    `starts at the last still sample (${c.startedAt - T0})`,
  );
  t.ok(c.settledAt >= T0 + 6120, 'settles after the item is gone');
  t.ok(c.settledAt <= T0 + 6120 + 900, `and once the ringing has died down (${c.settledAt - T0})`);
  t.ok(c.decidedAt - c.settledAt <= 300, 'decided within 300 ms of settling');
  const kinds = out.filter((o) => o.type !== 'fault').map((o) => o.type);
  t.same(kinds, ['activity', 'settling', 'change'], 'the machine hears activity, settling, then the change');
  t.same(out[0]?.type === 'activity' && out[0].plates, [4], 'the activity names the plate that moved');
});

t.test('an item put back is a change of the other sign', async (t) => {
  const [c] = changesOf(sense(quiet().item(6000, [7], 250)).out);
  t.ok(c && Math.abs(c.deltaGrams - 250) < 3, `+250 g (got ${c?.deltaGrams})`);
});

t.test('a hand pressing 2 kg and letting go is a disturbance, never a change', async (t) => {
  const { out } = sense(quiet().press(5000, [3, 4], 2000, 1500));
  t.equal(changesOf(out).length, 0, 'no change');
  const [d] = disturbancesOf(out);
  t.ok(d, 'one disturbance');
  t.ok(d && d.peakGrams > 1500, `its peak is the press (${d?.peakGrams.toFixed(0)} g)`);
  t.ok(d && d.startedAt < T0 + 5100 && d.endedAt >= T0 + 6900, 'spanning the press');
});

t.test('a plate drifting 5 g over 10 minutes raises nothing', async (t) => {
  const shelf = new SyntheticShelf({ plates: 4, rateHz: 20, seconds: 600, noise: 0.5 }).drift(2, 5);
  const { sensor, out } = sense(shelf);
  t.same(
    out.map((o) => o.type),
    [],
    'no activity, change or disturbance',
  );
  const view = sensor.plate(2);
  t.ok(
    view.stableGrams !== undefined && Math.abs(view.stableGrams - 1005) < 1,
    'its level followed the drift',
  );
});

t.test('an item resting on three plates is one change with those three plates', async (t) => {
  const { out } = sense(quiet().item(6000, [4, 5, 6], -300, [0.2, 0.6, 0.2]));
  const changes = changesOf(out);
  t.equal(changes.length, 1);
  t.same(changes[0]?.plates, [4, 5, 6]);
  t.ok(Math.abs((changes[0]?.deltaGrams ?? 0) + 300) < 3, 'the whole item');
  t.ok(Math.abs((changes[0]?.plateDeltas[5] ?? 0) + 180) < 2, 'and each plate its share');
});

t.test('two picks at distant plates in one settle are two changes', async (t) => {
  const { out } = sense(quiet().item(6000, [1], -200).item(6050, [9], -350));
  const changes = changesOf(out);
  t.same(
    changes.map((c) => c.plates),
    [[1], [9]],
  );
  t.ok(
    Math.abs((changes[0]?.deltaGrams ?? 0) + 200) < 3 && Math.abs((changes[1]?.deltaGrams ?? 0) + 350) < 3,
  );
  t.equal(changes[0]?.settledAt, changes[1]?.settledAt, 'decided together');
});

t.test(
  'an item slid onto the next plate is no change; onto a distant one it is a pick and a put',
  async (t) => {
    const slid = sense(quiet().item(6000, [2], -200).item(6000, [3], 200)).out;
    t.equal(changesOf(slid).length, 0, 'nothing left the shelf');
    t.equal(disturbancesOf(slid).length, 1);
    const moved = changesOf(sense(quiet().item(6000, [2], -200).item(6000, [8], 200)).out);
    t.same(
      moved.map((c) => Math.round(c.deltaGrams / 10) * 10),
      [-200, 200],
    );
  },
);

t.test('a crumb (a few grams) is not an event', async (t) => {
  const { out } = sense(quiet().item(6000, [5], -6));
  t.equal(changesOf(out).length, 0);
});

t.test('a noisy plate needs a bigger move than a quiet one, and still counts an item', async (t) => {
  const noise = Array.from({ length: 12 }, (_, p) => (p === 6 ? 8 : 0.5));
  const shelf = new SyntheticShelf({ plates: 12, rateHz: 60, seconds: 14, noise });
  const { out } = sense(shelf.item(8000, [6], -400));
  const changes = changesOf(out);
  t.equal(changes.length, 1);
  t.ok(Math.abs((changes[0]?.deltaGrams ?? 0) + 400) < 10, `${changes[0]?.deltaGrams}`);
  const before = out.findIndex((o) => o.type === 'change');
  t.equal(disturbancesOf(out.slice(0, before)).length, 0, 'its noise alone raised nothing');
});

t.test('samples one at a time at irregular times, some lost, work the same', async (t) => {
  const shelf = quiet().item(6000, [4], -500);
  const { out } = sense(shelf, { batch: 1, jitterMs: 4, loseEvery: 7 });
  const changes = changesOf(out);
  t.equal(changes.length, 1);
  t.ok(Math.abs((changes[0]?.deltaGrams ?? 0) + 500) <= 3, `${changes[0]?.deltaGrams}`);
});

for (const rateHz of [10, 20, 60, 100]) {
  t.test(`at ${rateHz} Hz the decision comes within 300 ms of settling`, async (t) => {
    const { out } = sense(quiet(12, rateHz).item(6000, [4], -500));
    const [c] = changesOf(out);
    t.ok(c, 'the pick is found');
    if (!c) return;
    t.ok(Math.abs(c.deltaGrams + 500) < 3, `${c.deltaGrams}`);
    t.ok(c.decidedAt - c.settledAt <= 300, `decided ${c.decidedAt - c.settledAt} ms after settling`);
    t.ok(c.decidedAt - (T0 + 6120) < 1500, 'and soon after the item was gone');
  });
}

t.test(
  'a 10 Hz shelf with one noisy plate among quiet ones still decides soon after the ringing',
  async (t) => {
    // One reading per third of the window: the noise is measured across the window, and a plate three
    // times noisier than the others must not hold the shelf "moving" by chance.
    const noise = Array.from({ length: 12 }, (_, p) => (p === 5 ? 1.5 : 0.5));
    for (const seed of [1, 2, 3, 4, 5]) {
      const shelf = new SyntheticShelf({ plates: 12, rateHz: 10, seconds: 14, noise, seed }).item(
        10_000,
        [3],
        -350,
      );
      const [c] = changesOf(sense(shelf).out);
      t.ok(
        c && Math.abs(c.deltaGrams + 350) < 5,
        `seed ${seed}: the pick is found (${c?.deltaGrams.toFixed(1)} g)`,
      );
      // The synthetic ringing is below 0.5 g about 0.9 s after the move began.
      t.ok(
        c && c.decidedAt - (T0 + 10_900) <= 300,
        `seed ${seed}: decided ${c && c.decidedAt - T0 - 10_000} ms after the move`,
      );
    }
  },
);

t.test('a plate without readings has no signal, takes part in nothing, and recovers', async (t) => {
  const shelf = quiet().reads(3, 4000, 7000, Number.NaN).item(5000, [3], -300);
  const { out } = sense(shelf);
  const faults = faultsOf(out);
  t.same(
    faults.map((f) => [f.type, f.plate, f.fault]),
    [
      ['fault', 3, 'no-signal'],
      ['fault-cleared', 3, 'no-signal'],
    ],
  );
  // The last reading came at 3983 ms (60 Hz), so one second without any ends at 4983 ms.
  t.ok((faults[0]?.at ?? 0) - T0 >= 4980, 'raised after a second without readings');
  t.equal(changesOf(out).length, 0, 'no change from a plate whose readings were lost');
});

t.test('a plate that repeats one exact reading is stuck until it moves again', async (t) => {
  const shelf = new SyntheticShelf({ plates: 3, rateHz: 20, seconds: 20, noise: 0.5 }).reads(
    1,
    2000,
    15_000,
    1000.25,
  );
  const faults = faultsOf(sense(shelf).out);
  t.same(
    faults.map((f) => [f.type, f.fault]),
    [
      ['fault', 'stuck'],
      ['fault-cleared', 'stuck'],
    ],
  );
  t.ok(Math.abs((faults[0]?.at ?? 0) - T0 - 12_000) < 100, 'after 10 s of the same reading');
});

t.test('a plate beyond its capacity is saturated, and its change is not reported', async (t) => {
  const shelf = quiet().item(6000, [2], 5000);
  const { out } = sense(shelf, { tunables: { capacityGrams: 5000 } });
  t.same(
    faultsOf(out).map((f) => [f.type, f.plate, f.fault]),
    [['fault', 2, 'saturated']],
  );
  t.equal(changesOf(out).length, 0);
});

t.test('a plate pinned at one extreme reading is saturated even without a capacity', async (t) => {
  const shelf = quiet().reads(5, 6000, 9000, 4095);
  const faults = faultsOf(sense(shelf).out);
  t.same(
    faults.map((f) => [f.type, f.fault]),
    [
      ['fault', 'saturated'],
      ['fault-cleared', 'saturated'],
    ],
  );
  t.ok((faults[0]?.at ?? 0) - T0 < 6400, 'quickly');
});

t.test('a plate shaking far beyond its noise for long is noisy; the others still work', async (t) => {
  // 45 s of shaking, then 35 s of calm: the fault clears once calm has lasted as long as it took to raise.
  const shelf = new SyntheticShelf({ plates: 6, rateHz: 20, seconds: 90, noise: 0.5 });
  const shaky = new SyntheticShelf({ plates: 1, rateHz: 20, seconds: 90, noise: 40, seed: 3 }).render()
    .values;
  shelf.reads(0, 10_000, 55_000, (at) => (shaky[Math.round((at * 20) / 1000)] as number) - 0);
  shelf.item(50_000, [4], -250);
  const { out } = sense(shelf);
  const faults = faultsOf(out);
  t.same(
    faults.map((f) => [f.type, f.plate, f.fault]),
    [
      ['fault', 0, 'noisy'],
      ['fault-cleared', 0, 'noisy'],
    ],
  );
  t.ok((faults[0]?.at ?? 0) - T0 >= 40_000, 'after 30 s of shaking');
  const changes = changesOf(out);
  t.same(
    changes.map((c) => c.plates),
    [[4]],
    'the pick on a healthy plate is reported',
  );
});

t.test(
  'readings in board units: grams through the calibration; a tare changes nothing learned',
  async (t) => {
    const calibration = Array.from({ length: 4 }, () => ({ slope: 0.5, offset: 100 }));
    const shelf = new SyntheticShelf({ plates: 4, rateHz: 60, seconds: 10, noise: 1, load: 2100 });
    shelf.item(6000, [1], -1000); // 1000 readings = 500 g
    const { sensor, out } = sense(shelf, { calibration });
    const [c] = changesOf(out);
    t.ok(c && Math.abs(c.deltaGrams + 500) < 3, `${c?.deltaGrams}`);
    const reading = sensor.stableReading(0);
    t.ok(reading !== undefined && Math.abs(reading - 2100) < 1, 'the stable reading is in board units');
    sensor.setCalibration(0, { slope: 0.5, offset: reading as number });
    t.ok(Math.abs(sensor.plate(0).stableGrams ?? Number.NaN) < 1, 'after a tare the plate reads 0 g');
    t.same(sensor.calibration()[0], { slope: 0.5, offset: reading });
    t.ok(sensor.plate(0).noiseGrams > 0.2 && sensor.plate(0).noiseGrams < 0.6, 'its noise is known in grams');
    t.throws(() => sensor.setCalibration(0, { slope: 0, offset: 0 }), RangeError);
    t.throws(() => sensor.plate(4), RangeError);
  },
);

t.test('a batch that does not fit the shelf is counted and dropped', async (t) => {
  const { sensor } = sense(quiet(4, 60, 2));
  const out: Parameters<typeof sensor.push>[1] = [];
  sensor.push({ t0: T0 + 3000, rateHz: 60, channels: 3, values: new Float32Array(6) }, out);
  sensor.push({ t0: Number.NaN, rateHz: 60, channels: 4, values: new Float32Array(4) }, out);
  sensor.push({ t0: T0 + 3000, rateHz: 0, channels: 4, values: new Float32Array(4) }, out);
  t.equal(sensor.rejectedBatches, 3);
  t.same(out, []);
});

t.test('readings that are not finite count as missing', async (t) => {
  const shelf = quiet(4, 60, 6).reads(2, 1000, 5000, Number.POSITIVE_INFINITY);
  const faults = faultsOf(sense(shelf).out);
  t.same(
    faults.map((f) => f.fault),
    ['no-signal', 'no-signal'],
  );
});

t.test('a board whose clock jumps back starts afresh and keeps detecting', async (t) => {
  const shelf = quiet(4, 60, 16).item(12_000, [2], -400);
  const list = (await import('./shelf-signal.js')).batches(shelf);
  const { ShelfSensor } = await import('../../src/sensing/sensor.js');
  const sensor = new ShelfSensor({
    plates: 4,
    rateHz: 60,
    calibration: Array.from({ length: 4 }, () => ({ slope: 1, offset: 0 })),
  });
  const out: Parameters<typeof sensor.push>[1] = [];
  for (const b of list) sensor.push(b.t0 >= T0 + 8000 ? { ...b, t0: b.t0 - 3_600_000 } : b, out);
  const [c] = changesOf(out);
  t.ok(c && Math.abs(c.deltaGrams + 400) < 3, 'the pick after the reset is found');
  t.ok(c && c.startedAt < c.settledAt && c.settledAt < c.decidedAt, 'on the new clock');
});
