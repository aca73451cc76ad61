// Synthetic load-cell shelves for the sensing tests: each plate's noise, items lifted and placed
// with the ringing a real shelf shows, hands pressing with the tremor a real hand has, drift, and
// broken channels. Seeded, so every run is the same.
import { ShelfSensor } from '../../src/sensing/sensor.js';
import type { SensingTunables } from '../../src/sensing/settings.js';
import type { PlateCalibration, SensorOutput, ShelfSamples } from '../../src/sensing/types.js';
import { Random } from '../../src/system/random.js';

export const T0 = Date.UTC(2025, 0, 1, 9, 0, 0);

type Shape = (t: number) => number;

export interface ShelfScene {
  plates: number;
  rateHz: number;
  seconds: number;
  /** Standard deviation of each plate's noise, g (one number: every plate). */
  noise?: number | number[];
  /** Load on each plate at the start, g. */
  load?: number;
  seed?: number;
}

export class SyntheticShelf {
  readonly plates: number;
  readonly rateHz: number;
  readonly seconds: number;
  readonly #noise: number[];
  readonly #load: number;
  readonly #random: Random;
  readonly #shapes: Shape[][];
  /** Per plate: a value to read instead (NaN, a stuck or pinned reading) from a time on. */
  readonly #overrides: { plate: number; from: number; to: number; value: (t: number) => number }[] = [];

  constructor(scene: ShelfScene) {
    this.plates = scene.plates;
    this.rateHz = scene.rateHz;
    this.seconds = scene.seconds;
    const noise = scene.noise ?? 0.5;
    this.#noise = Array.from({ length: scene.plates }, (_, p) =>
      Array.isArray(noise) ? (noise[p] ?? 0.5) : noise,
    );
    this.#load = scene.load ?? 1000;
    this.#random = new Random(scene.seed ?? 7);
    this.#shapes = Array.from({ length: scene.plates }, () => []);
  }

  /**
   * `grams` (negative: taken) leaves or lands on the plates at `atMs` (ms from the start), spread by
   * `shares`: a 120 ms movement, then the shelf rings at 7 Hz, 15 % of the change, dying in ~0.5 s.
   */
  item(atMs: number, plates: number[], grams: number, shares?: number[]): this {
    plates.forEach((p, i) => {
      const g = grams * (shares?.[i] ?? 1 / plates.length);
      this.#shapes[p]?.push((t) => {
        const s = t - atMs;
        if (s <= 0) return 0;
        const moved = s < 120 ? g * (s / 120) : g;
        const ring =
          s < 120
            ? 0
            : 0.15 * g * Math.exp(-(s - 120) / 120) * Math.sin((2 * Math.PI * 7 * (s - 120)) / 1000);
        return moved + ring;
      });
    });
    return this;
  }

  /** A hand presses `grams` on the plates for `holdMs`, trembling a few percent of it, and lets go. */
  press(atMs: number, plates: number[], grams: number, holdMs: number): this {
    const tremor = this.#random.between(0, 2 * Math.PI);
    plates.forEach((p) => {
      this.#shapes[p]?.push((t) => {
        const s = t - atMs;
        if (s <= 0 || s >= holdMs + 400) return 0;
        const envelope = s < 200 ? s / 200 : s > holdMs + 200 ? (holdMs + 400 - s) / 200 : 1;
        const wobble =
          0.03 * Math.sin((2 * Math.PI * 2.3 * s) / 1000 + tremor) +
          0.02 * Math.sin((2 * Math.PI * 6.1 * s) / 1000);
        return (grams / plates.length) * envelope * (1 + wobble);
      });
    });
    return this;
  }

  /** The plate's load creeps by `grams` over the whole scene, evenly. */
  drift(plate: number, grams: number): this {
    this.#shapes[plate]?.push((t) => (grams * t) / (this.seconds * 1000));
    return this;
  }

  /** The plate reads `value(t)` instead of its load between the two times (ms from the start). */
  reads(plate: number, fromMs: number, toMs: number, value: number | ((t: number) => number)): this {
    this.#overrides.push({
      plate,
      from: fromMs,
      to: toMs,
      value: typeof value === 'number' ? () => value : value,
    });
    return this;
  }

  /** Every sample: times (ms since the epoch) and interleaved grams. */
  render(): { times: Float64Array; values: Float32Array } {
    const n = Math.round(this.seconds * this.rateHz);
    const times = new Float64Array(n);
    const values = new Float32Array(n * this.plates);
    for (let i = 0; i < n; i++) {
      const t = (i * 1000) / this.rateHz;
      times[i] = T0 + t;
      for (let p = 0; p < this.plates; p++) {
        let v = this.#load + (this.#noise[p] as number) * this.#random.gaussian();
        for (const shape of this.#shapes[p] as Shape[]) v += shape(t);
        for (const o of this.#overrides) if (o.plate === p && t >= o.from && t < o.to) v = o.value(t);
        values[i * this.plates + p] = v;
      }
    }
    return { times, values };
  }
}

export interface Feed {
  /** Samples per batch (default: 100 ms worth); 1 sends each sample alone at its own time. */
  batch?: number;
  /** Each single sample's time is off by up to this much, ms (only with batch 1). */
  jitterMs?: number;
  /** Every this many samples one is lost (only with batch 1). */
  loseEvery?: number;
  calibration?: PlateCalibration[];
  tunables?: Partial<SensingTunables>;
}

/** Runs a scene through a new sensor; returns the sensor and everything it decided. */
export function sense(shelf: SyntheticShelf, feed: Feed = {}): { sensor: ShelfSensor; out: SensorOutput[] } {
  const sensor = new ShelfSensor({
    plates: shelf.plates,
    rateHz: shelf.rateHz,
    calibration: feed.calibration ?? Array.from({ length: shelf.plates }, () => ({ slope: 1, offset: 0 })),
    tunables: feed.tunables ?? {},
  });
  const out: SensorOutput[] = [];
  for (const batch of batches(shelf, feed)) sensor.push(batch, out);
  return { sensor, out };
}

/** The scene's samples cut into the batches a board would deliver. */
export function batches(shelf: SyntheticShelf, feed: Feed = {}): ShelfSamples[] {
  const { times, values } = shelf.render();
  const P = shelf.plates;
  const size = feed.batch ?? Math.max(1, Math.round(shelf.rateHz / 10));
  const jitter = new Random(99);
  const list: ShelfSamples[] = [];
  for (let i = 0; i < times.length; i += size) {
    if (size === 1 && feed.loseEvery && i % feed.loseEvery === feed.loseEvery - 1) continue;
    const t0 = (times[i] as number) + (size === 1 ? jitter.between(-1, 1) * (feed.jitterMs ?? 0) : 0);
    list.push({
      t0,
      rateHz: shelf.rateHz,
      channels: P,
      values: values.slice(i * P, Math.min(times.length, i + size) * P),
    });
  }
  return list;
}

export type Change = Extract<SensorOutput, { type: 'change' }>;
export type Disturbance = Extract<SensorOutput, { type: 'disturbance' }>;

export const changesOf = (out: SensorOutput[]) => out.filter((o): o is Change => o.type === 'change');
export const disturbancesOf = (out: SensorOutput[]) =>
  out.filter((o): o is Disturbance => o.type === 'disturbance');
export const faultsOf = (out: SensorOutput[]) =>
  out.filter((o) => o.type === 'fault' || o.type === 'fault-cleared') as Extract<
    SensorOutput,
    { type: 'fault' | 'fault-cleared' }
  >[];
