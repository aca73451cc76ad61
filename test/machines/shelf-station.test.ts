import t from 'tap';
import type { SampleBatch } from '../../src/drivers/weight/port.js';
import { motionOf } from '../../src/machines/shelf.js';
import { type Sensor, ShelfStation } from '../../src/machines/shelf-station.js';
import type { PlateCalibration, SensorOutput } from '../../src/sensing/types.js';
import { FakeClock } from '../../src/system/clock.js';

/** A sensor that reads what the test says: each plate's reading, still or moving, and outputs to give. */
class ScriptedSensor implements Sensor {
  readings: (number | undefined)[];
  cal: PlateCalibration[];
  next: SensorOutput[] = [];
  pushed = 0;
  constructor(plates: number) {
    this.readings = Array.from({ length: plates }, () => 1000);
    this.cal = Array.from({ length: plates }, () => ({ slope: 0.5, offset: 100 }));
  }
  push(_batch: SampleBatch, out: SensorOutput[]): void {
    this.pushed++;
    out.push(...this.next.splice(0));
  }
  stableReading(plate: number) {
    return this.readings[plate];
  }
  calibration() {
    return this.cal.map((c) => ({ ...c }));
  }
  setCalibration(plate: number, c: PlateCalibration) {
    this.cal[plate] = c;
  }
}

function station(plates = 2) {
  const clock = new FakeClock();
  const sensor = new ScriptedSensor(plates);
  const saved: PlateCalibration[][] = [];
  const s = new ShelfStation({
    shelfId: 'shelf-01',
    wires: Array.from({ length: plates }, (_, channel) => ({ board: 'lc-1', channel })),
    sensor,
    explain: () => ({ kind: 'anomaly', reason: 'no planogram' }),
    clock,
    save: (c) => saved.push(c),
    jobTimeoutMs: 10_000,
  });
  s.actor.start();
  s.actor.send({ type: 'source.up', source: 'lc-1' });
  const feed = () =>
    s.push({
      boardId: 'lc-1',
      t0: clock.now(),
      rateHz: 10,
      channels: plates,
      values: new Float32Array(plates),
    });
  return { s, sensor, clock, saved, feed };
}

t.test('a tare zeroes the plates at their still reading and saves the calibration', async (t) => {
  const { s, sensor, saved } = station();
  sensor.readings = [1200, 900];
  const outcome = await s.calibrate({ kind: 'tare', plates: [0, 1] });
  t.same(outcome, { ok: true, message: 'plates 0, 1 of shelf-01 zeroed' });
  t.same(sensor.cal, [
    { slope: 0.5, offset: 1200 },
    { slope: 0.5, offset: 900 },
  ]);
  t.same(saved.at(-1), sensor.cal, 'saved at once');
});

t.test('a tare waits for a moving plate to be still, and gives up with the reason', async (t) => {
  const { s, sensor, clock, feed } = station();
  sensor.readings = [undefined, 900];
  const pending = s.calibrate({ kind: 'tare', plates: [0, 1] });
  clock.advance(2000);
  sensor.readings = [1100, 900];
  feed();
  t.same(await pending, { ok: true, message: 'plates 0, 1 of shelf-01 zeroed' });
  sensor.readings = [undefined, 900];
  const late = s.calibrate({ kind: 'tare', plates: [0] });
  await clock.advanceAsync(10_000);
  t.same(await late, { ok: false, message: 'plates 0 of shelf-01 did not come to be still within 10 s' });
});

t.test('a span calibration learns the slope from the known weight and keeps the empty reading', async (t) => {
  const { s, sensor, clock, feed, saved } = station();
  sensor.readings = [1000, 1000];
  // Before: plate 1 reads (1000 - 100) * 0.5 = 450 g with nothing added.
  const pending = s.calibrate({ kind: 'span', plate: 1, grams: 500 });
  await clock.advanceAsync(1000);
  sensor.readings = [1000, undefined];
  feed();
  sensor.readings = [1000, 3000];
  sensor.next = [
    {
      type: 'change',
      startedAt: 0,
      settledAt: 1,
      decidedAt: 2,
      plates: [1],
      plateDeltas: Float64Array.of(0, 1000),
      deltaGrams: 1000,
      sigmaGrams: 1,
    },
  ];
  feed();
  const outcome = await pending;
  t.equal(outcome.ok, true);
  t.match(outcome.message, /^plate 1 of shelf-01 calibrated: 500 g now reads 500 g \(slope 0\.250000\)$/);
  const c = sensor.cal[1] as PlateCalibration;
  t.equal(c.slope, 0.25, '2000 readings for 500 g');
  t.equal((1000 - c.offset) * c.slope, 450, 'the empty plate still reads 450 g');
  t.equal((3000 - c.offset) * c.slope, 950, 'with the weight: 450 + 500 g');
  t.equal(saved.length, 1);
});

t.test(
  'a span calibration with no weight placed, or on a plate the shelf lacks, fails clearly',
  async (t) => {
    const { s, clock } = station();
    const pending = s.calibrate({ kind: 'span', plate: 0, grams: 500 });
    await clock.advanceAsync(10_000);
    t.same(await pending, { ok: false, message: 'no weight was placed on plate 0 of shelf-01 within 10 s' });
    t.same(await s.calibrate({ kind: 'tare', plates: [5] }), {
      ok: false,
      message: 'shelf-01 has plates 0-1, not 5',
    });
  },
);

t.test('a span whose plate got lighter is refused, and nothing changes', async (t) => {
  const { s, sensor, clock, feed, saved } = station();
  const pending = s.calibrate({ kind: 'span', plate: 1, grams: 500 });
  await clock.advanceAsync(100);
  sensor.readings = [1000, 400];
  sensor.next = [
    {
      type: 'change',
      startedAt: 0,
      settledAt: 1,
      decidedAt: 2,
      plates: [1],
      plateDeltas: Float64Array.of(0, -600),
      deltaGrams: -300,
      sigmaGrams: 1,
    },
  ];
  feed();
  t.same(await pending, {
    ok: false,
    message: 'plate 1 of shelf-01 got lighter, not heavier: place the known weight after the command',
  });
  t.same(sensor.cal[1], { slope: 0.5, offset: 100 });
  t.equal(saved.length, 0);
});

t.test(
  'a shelf that stops mid-job changes nothing afterwards, and a stopped or offline one refuses at once',
  async (t) => {
    const { s, sensor, clock, saved } = station();
    sensor.readings = [1000, undefined];
    const pending = s.calibrate({ kind: 'tare', plates: [1] });
    await clock.advanceAsync(100);
    s.actor.send({ type: 'close' });
    t.same(await pending, { ok: false, message: 'the hub is stopping' });
    sensor.readings = [1000, 1234];
    await clock.advanceAsync(20_000);
    t.same(sensor.cal[1], { slope: 0.5, offset: 100 }, 'the plate becoming still later tares nothing');
    t.equal(saved.length, 0, 'and saves nothing');
    t.equal(clock.pending, 0, 'no timer left behind');
    s.actor.stop();
    t.same(await s.calibrate({ kind: 'tare', plates: [0] }), { ok: false, message: 'the hub is stopping' });

    const other = station();
    other.s.actor.send({ type: 'source.down', source: 'lc-1', reason: 'address 3 not answering (timeout)' });
    t.match(await other.s.calibrate({ kind: 'tare', plates: [0] }), {
      ok: false,
      message: /^shelf-01 is offline: .*address 3 not answering/,
    });
  },
);

t.test('a calibration that cannot be saved says it will be lost at restart', async (t) => {
  const clock = new FakeClock();
  const sensor = new ScriptedSensor(1);
  const s = new ShelfStation({
    shelfId: 'shelf-01',
    wires: [{ board: 'lc-1', channel: 0 }],
    sensor,
    explain: () => ({ kind: 'anomaly', reason: '' }),
    clock,
    save: () => {
      throw new Error('ENOSPC');
    },
  });
  s.actor.start();
  s.actor.send({ type: 'source.up', source: 'lc-1' });
  const outcome = await s.calibrate({ kind: 'tare', plates: [0] });
  t.same(outcome, {
    ok: false,
    message: 'calibrated, but could not save it (ENOSPC); it will be lost at restart',
  });
});

t.test('samples reach the sensor and its decisions reach the machine; watchers hear both', async (t) => {
  const { s, sensor, feed } = station();
  const heard: string[] = [];
  const stop = s.watch((_batch, outputs) => heard.push(...outputs.map((o) => o.type)));
  sensor.next = [{ type: 'activity', at: 0, plates: [0] }];
  feed();
  t.equal(motionOf(s.actor.getSnapshot()), 'active');
  stop();
  feed();
  t.same(heard, ['activity']);
  t.equal(sensor.pushed, 2);
  t.same(s.calibration(), sensor.cal);
  // Samples of a board the shelf is not wired to go nowhere.
  s.push({ boardId: 'lc-9', t0: 0, rateHz: 10, channels: 2, values: new Float32Array(2) });
  t.equal(sensor.pushed, 2);
});

t.test("a shelf's calibration survives its adapter being pulled and plugged back", async (t) => {
  const { s, sensor, saved, feed } = station();
  sensor.readings = [1200, 900];
  await s.calibrate({ kind: 'tare', plates: [0, 1] });
  const calibrated = sensor.calibration();
  const saves = saved.length;
  s.actor.send({ type: 'source.down', source: 'lc-1', reason: 'unplugged: no longer on the system' });
  s.actor.send({ type: 'source.up', source: 'lc-1' });
  feed();
  t.same(s.calibration(), calibrated, 'the same calibration in force');
  t.equal(saved.length, saves, 'nothing re-saved or reset');
});
