// How many plate readings one core's ShelfSensor gets through: a 12-plate shelf at 60 Hz, its samples
// taken from the simulated physics (noise, drift, ringing after each change, a hand now and then)
// in the 100 ms batches a board delivers, a few picks and puts a minute. Counted per plate reading,
// so 2,000 plates at 60 Hz are 120,000 samples a second.
import { pathToFileURL } from 'node:url';
import type { SampleBatch } from '../src/drivers/weight/port.js';
import { SimShelf } from '../src/drivers/weight/sim.js';
import { ShelfSensor } from '../src/sensing/sensor.js';
import type { SensorOutput } from '../src/sensing/types.js';
import { FakeClock } from '../src/system/clock.js';
import { Random } from '../src/system/random.js';

const PLATES = 12;
const RATE_HZ = 60;
/** A minute of signal, looped: it ends where it began, so the loop's seam is no change. */
const RECORDING_MS = 60_000;
/** A busy shelf: something happens on it every 12 s (most shelves of a store are touched far less). */
const EVENT_MS = Number(process.env.EVENT_MS ?? 12_000);

export interface SensingThroughput {
  /** Plate readings per CPU second. */
  samplesPerSecond: number;
  cpuSeconds: number;
  samples: number;
  /** Changes the sensor decided while measured: proof it did its whole job, not a shortcut. */
  changes: number;
}

/** A minute of a 12-plate shelf's batches: items lifted and put back, a hand resting now and then. */
function recordedMinute(): SampleBatch[] {
  const clock = new FakeClock();
  const random = new Random(11);
  const shelf = new SimShelf({ id: 'bench', plates: PLATES, sampleRateHz: RATE_HZ }, clock, random, {
    baseGrams: Array.from({ length: PLATES }, () => 4000),
  });
  const batches: SampleBatch[] = [];
  shelf.onData((batch) => batches.push(batch));
  void shelf.open();
  const lifted: { plates: number[]; grams: number[] }[] = [];
  // Every EVENT_MS something happens: a lift, a put back (the last lifted), or a hand pressing.
  for (let at = EVENT_MS; at < RECORDING_MS - 5000; at += EVENT_MS) {
    clock.advance(EVENT_MS);
    const step = at / EVENT_MS;
    const first = random.int(PLATES - 2);
    const plates = Array.from({ length: 1 + random.int(3) }, (_, i) => first + i);
    if (step % 4 === 3) shelf.press(plates, 800, 700);
    else if (step % 2 === 1 || lifted.length === 0)
      lifted.push({ plates, grams: shelf.liftItem(plates, random.between(50, 600)) });
    else {
      const back = lifted.pop() as { plates: number[]; grams: number[] };
      back.plates.forEach((p, i) => {
        shelf.place(p, back.grams[i] as number);
      });
    }
  }
  // Whatever is still off the shelf goes back, so the minute ends as it began.
  clock.advance(2000);
  for (const back of lifted)
    back.plates.forEach((p, i) => {
      shelf.place(p, back.grams[i] as number);
    });
  clock.advance(RECORDING_MS - (clock.now() - Date.UTC(2025, 0, 1)));
  void shelf.close();
  return batches;
}

/** Plate readings per CPU second through one ShelfSensor, fed the recorded minute over and over for `ms`. */
export function measureSensingThroughput(ms = 2000): SensingThroughput {
  const batches = recordedMinute();
  const sensor = new ShelfSensor({
    plates: PLATES,
    rateHz: RATE_HZ,
    calibration: Array.from({ length: PLATES }, () => ({ slope: 1, offset: 0 })),
  });
  const out: SensorOutput[] = [];
  let lap = 0;
  let changes = 0;
  const feedMinute = () => {
    const shift = lap * RECORDING_MS;
    for (const b of batches) {
      out.length = 0;
      sensor.push({ t0: b.t0 + shift, rateHz: b.rateHz, channels: b.channels, values: b.values }, out);
      for (const o of out) if (o.type === 'change') changes++;
    }
    lap++;
  };
  // Two minutes to learn the plates' noise and warm the JIT, then measured.
  feedMinute();
  feedMinute();
  changes = 0;
  const perLap = batches.reduce((n, b) => n + b.values.length, 0);
  let samples = 0;
  const start = process.cpuUsage();
  let used = 0;
  while (used < ms * 1000) {
    feedMinute();
    samples += perLap;
    const u = process.cpuUsage(start);
    used = u.user + u.system;
  }
  const cpuSeconds = used / 1e6;
  return { samplesPerSecond: samples / cpuSeconds, cpuSeconds, samples, changes };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = measureSensingThroughput(Number(process.argv[2] ?? 3000));
  process.stdout.write(
    `${Math.round(r.samplesPerSecond).toLocaleString('en-US')} plate samples per CPU second ` +
      `(${r.samples.toLocaleString('en-US')} in ${r.cpuSeconds.toFixed(2)} s, ${r.changes} changes decided)\n`,
  );
}
