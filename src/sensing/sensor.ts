// A shelf's change detection: samples in, a few decisions out (activity, settling, change,
// disturbance, plate faults). Pure and batched: typed arrays, O(plates) work and no allocation per
// sample; only a decision allocates.
//
// Each plate rests at a level, which follows slow drift while the shelf is still. A plate whose level
// moves beyond its noise (and activityGrams) starts an activity, bracketed from the last quiet sample
// before it. The activity ends once every plate has been still for settleMs: each plate's change is
// then its new level minus its old one, and groupChanges makes changes of them, or a disturbance
// when everything came back where it was. The thresholds are in each plate's own noise (noise.ts).
//
// Internally everything is in reading units, so a new calibration changes grams, not what was learned.
import { checkCalibration, toGrams } from './calibration.js';
import { groupChanges } from './changes.js';
import { PlateFaults } from './faults.js';
import {
  dyingDown,
  jitterCeiling,
  moveThreshold,
  NOISE_DOUBLE_MS,
  NOISE_FLOOR_GRAMS,
  NOISE_HALVE_MS,
  NOISE_SIGMAS,
  nextNoise,
  stillBand,
} from './noise.js';
import { checkSettings, type SensingTunables, type ShelfSensorSettings } from './settings.js';
import type { PlateCalibration, PlateFault, SensorOutput, ShelfSamples } from './types.js';
import { SettleWindow, STAT } from './window.js';

export interface PlateView {
  /** The reading averaged over the present window while the plate is still and healthy. */
  stableReading: number | undefined;
  stableGrams: number | undefined;
  fault: PlateFault | undefined;
  /** The plate's learned noise (standard deviation), g; NaN until learned. */
  noiseGrams: number;
}

/**
 * The variance within one third of a plate's window described in `st`; NaN with fewer than
 * RINGING_READINGS readings, which say too little to tell ringing from chance (dyingDown is then false).
 */
function varianceOf(st: Float64Array, third: number): number {
  const n = st[STAT.n + third] as number;
  return n >= RINGING_READINGS ? (st[STAT.ss + third] as number) / (n - 1) : Number.NaN;
}

/**
 * Readings a third needs before its variance is compared with another's (dyingDown): with one degree
 * of freedom, one plate in twelve would look like it rings on every other sample by chance alone.
 */
const RINGING_READINGS = 4;

/**
 * The noise (standard deviation) of the window described in `st`, of `n` readings with mean `mean`:
 * around each third's own mean, so that a level still creeping is not taken for noise; but when the
 * thirds are too small for that (a 10 Hz board has one reading in each), around the window's mean.
 */
function innerNoise(st: Float64Array, n: number, mean: number): number {
  const within = (st[STAT.ss] as number) + (st[STAT.ss + 1] as number) + (st[STAT.ss + 2] as number);
  if (n - 3 >= MIN_WITHIN_DOF) return Math.sqrt(within / (n - 3));
  if (n < 2) return 0;
  let between = 0;
  for (let k = 0; k < 3; k++)
    between += (st[STAT.n + k] as number) * ((st[STAT.mean + k] as number) - mean) ** 2;
  return Math.sqrt((within + between) / (n - 1));
}

/** Degrees of freedom within thirds below which innerNoise measures around the window's mean instead. */
const MIN_WITHIN_DOF = 3;

/** The degrees of freedom of innerNoise's estimate over `n` readings. */
function noiseDof(n: number): number {
  return n - 3 >= MIN_WITHIN_DOF ? n - 3 : Math.max(0, n - 1);
}

/** How many readings' worth of evidence the learned noise weighs against a window's own, in withPrior. */
const PRIOR_DOF = 3;

/**
 * A window's noise estimate (`inner`, from `dof` degrees of freedom) pooled with the plate's learned
 * noise `sigma`, weighing PRIOR_DOF: a few readings per third (a 10 Hz board has one) say little about
 * the noise on their own, and a plate noisier than the still band must not be held "moving" by chance.
 */
function withPrior(inner: number, dof: number, sigma: number): number {
  if (Number.isNaN(sigma)) return inner;
  const d = Math.max(0, dof);
  return Math.sqrt((inner * inner * d + sigma * sigma * PRIOR_DOF) / (d + PRIOR_DOF));
}

/** A resting plate's level follows drift with this time constant, ms; faster moves start an activity. */
const DRIFT_MS = 10_000;
/** Time running backwards by more than this is a new clock (a board restarted), not jitter, ms. */
const CLOCK_RESET_MS = 1000;

export class ShelfSensor {
  readonly plates: number;
  readonly tunables: Readonly<SensingTunables>;
  /** Batches dropped because they did not fit this shelf or had no usable time. */
  rejectedBatches = 0;
  readonly #window: SettleWindow;
  readonly #faults: PlateFaults;
  readonly #slope: Float64Array;
  readonly #offset: Float64Array;
  /** Per plate, reading units: where it rests (NaN: not learned yet), its noise, its level before the activity. */
  readonly #level: Float64Array;
  readonly #sigma: Float64Array;
  readonly #before: Float64Array;
  /** Per plate, reading units: where it was when the shelf began to settle. */
  readonly #settledAt: Float64Array;
  readonly #still: Uint8Array;
  /** Scratch: this sample's readings, the plates that moved, and a decision's deltas and their sigmas. */
  readonly #row: Float64Array;
  readonly #moved: Uint8Array;
  readonly #deltas: Float64Array;
  readonly #sigmas: Float64Array;
  readonly #stats = new Float64Array(STAT.size);
  #period: number;
  #lastT = Number.NaN;
  #active = false;
  #settling = false;
  #lastQuietAt = Number.NaN;
  #startedAt = 0;
  #peak = 0;

  constructor(settings: ShelfSensorSettings) {
    this.tunables = Object.freeze(checkSettings(settings));
    const P = settings.plates;
    this.plates = P;
    this.#period = 1000 / settings.rateHz;
    this.#window = new SettleWindow(P, this.tunables.settleMs, Math.max(250, settings.rateHz * 4));
    this.#faults = new PlateFaults(P, this.tunables);
    this.#slope = Float64Array.from(settings.calibration, (c) => c.slope);
    this.#offset = Float64Array.from(settings.calibration, (c) => c.offset);
    this.#level = new Float64Array(P).fill(Number.NaN);
    this.#sigma = new Float64Array(P).fill(Number.NaN);
    this.#before = new Float64Array(P).fill(Number.NaN);
    this.#settledAt = new Float64Array(P);
    this.#still = new Uint8Array(P);
    this.#row = new Float64Array(P);
    this.#moved = new Uint8Array(P);
    this.#deltas = new Float64Array(P);
    this.#sigmas = new Float64Array(P);
  }

  /** Takes a batch of samples and appends what they decided to `out`; a malformed batch is counted and dropped. */
  push(batch: ShelfSamples, out: SensorOutput[]): void {
    const { t0, rateHz, channels, values } = batch;
    if (channels !== this.plates || !Number.isFinite(t0) || !(rateHz > 0 && rateHz < Infinity)) {
      this.rejectedBatches++;
      return;
    }
    const n = Math.floor(values.length / channels);
    const step = 1000 / rateHz;
    for (let i = 0; i < n; i++) this.#sample(t0 + i * step, values, i * channels, out);
  }

  /** The plate's reading (board units) averaged over its present stable window; undefined while it moves. */
  stableReading(plate: number): number | undefined {
    return this.#still[plate] === 1 ? this.#window.mean(plate) : undefined;
  }

  /** What a technician and the shelf machine need to know of one plate now. */
  plate(plate: number): PlateView {
    this.#checkPlate(plate);
    const reading = this.stableReading(plate);
    const calibration = { slope: this.#slope[plate] as number, offset: this.#offset[plate] as number };
    return {
      stableReading: reading,
      stableGrams: reading === undefined ? undefined : toGrams(reading, calibration),
      fault: this.#faults.faultOf(plate),
      noiseGrams: (this.#sigma[plate] as number) * Math.abs(calibration.slope),
    };
  }

  calibration(): PlateCalibration[] {
    return Array.from(this.#slope, (slope, p) => ({ slope, offset: this.#offset[p] as number }));
  }

  /** Puts a new calibration in force; what the plate learned (its level, its noise) is kept. */
  setCalibration(plate: number, calibration: PlateCalibration): void {
    this.#checkPlate(plate);
    checkCalibration(calibration);
    this.#slope[plate] = calibration.slope;
    this.#offset[plate] = calibration.offset;
  }

  #checkPlate(plate: number): void {
    if (!Number.isInteger(plate) || plate < 0 || plate >= this.plates)
      throw new RangeError(`no plate ${plate} on a shelf of ${this.plates}`);
  }

  #sample(time: number, values: Float32Array, offset: number, out: SensorOutput[]): void {
    const t = this.#clock(time);
    const last = this.#lastT;
    const dt = Number.isNaN(last) ? this.#period : t - last;
    this.#lastT = t;
    const P = this.plates;
    const row = this.#row;
    for (let p = 0; p < P; p++) {
      const v = values[offset + p] as number;
      row[p] = v - v === 0 ? v : Number.NaN;
    }
    const w = this.#window;
    w.push(t, row, 0, this.#period);
    const spanned = t - w.firstTime() >= this.tunables.settleMs - 1.5 * this.#period;
    const fall = Math.exp((-Math.LN2 * dt) / NOISE_HALVE_MS);
    const rise = Math.exp((Math.LN2 * dt) / NOISE_DOUBLE_MS);
    const follow = Math.min(1, dt / DRIFT_MS);
    const active = this.#active;
    const tun = this.tunables;
    let triggered = false;
    let quiet = true;
    let allStill = true;
    let allSettling = true;
    let resumed = false;
    let total = 0;
    const st = this.#stats;
    for (let p = 0; p < P; p++) {
      this.#moved[p] = 0;
      const x = row[p] as number;
      const scale = Math.abs(this.#slope[p] as number);
      w.describe(p, st);
      const n = st[STAT.count] as number;
      let sigma = this.#sigma[p] as number;
      let still = false;
      let inner = 0;
      let mean = Number.NaN;
      const complete = spanned && st[STAT.n] !== 0 && st[STAT.n + 1] !== 0 && st[STAT.n + 2] !== 0;
      if (complete) {
        const a = st[STAT.mean] as number;
        const b = st[STAT.mean + 1] as number;
        const c = st[STAT.mean + 2] as number;
        mean =
          (a * (st[STAT.n] as number) + b * (st[STAT.n + 1] as number) + c * (st[STAT.n + 2] as number)) / n;
        inner = innerNoise(st, n, mean);
        if (Number.isNaN(sigma)) sigma = Math.max(inner, NOISE_FLOOR_GRAMS / scale);
        const ceiling = jitterCeiling(sigma, tun.jitterGrams / scale);
        const range = Math.max(a, b, c) - Math.min(a, b, c);
        still =
          inner <= ceiling &&
          range <= stillBand(withPrior(inner, noiseDof(n), sigma), n, 3, tun.stillGrams / scale) &&
          !dyingDown(varianceOf(st, 0), varianceOf(st, 2), sigma);
        this.#faults.shaking(p, inner > ceiling, dt);
      }
      const move = moveThreshold(sigma, n, tun.activityGrams / scale);
      const level = this.#level[p] as number;
      const grams = (x - (this.#offset[p] as number)) * (this.#slope[p] as number);
      if (this.#faults.observe(p, t, x, grams, level, move, out)) {
        // Whatever the plate read around a fault is no level to compare with: it is learned afresh.
        this.#level[p] = Number.NaN;
        this.#before[p] = Number.NaN;
      }
      if (!this.#faults.healthy(p)) {
        this.#still[p] = 0;
        continue;
      }
      this.#still[p] = still ? 1 : 0;
      if (complete && !active) sigma = nextNoise(sigma, inner, fall, rise, NOISE_FLOOR_GRAMS / scale);
      this.#sigma[p] = sigma;
      if (Number.isNaN(level)) {
        if (still && !active) this.#level[p] = mean;
        continue;
      }
      const newest = st[STAT.mean + 2] as number;
      if (!active) {
        if (Math.abs(newest - level) > move) {
          this.#moved[p] = 1;
          triggered = true;
        } else if (still) this.#level[p] = level + follow * (mean - level);
        if (Math.abs(x - level) > Math.max(NOISE_SIGMAS.quiet * sigma, tun.activityGrams / scale))
          quiet = false;
        continue;
      }
      const before = this.#before[p] as number;
      if (Number.isNaN(before)) continue;
      if (!Number.isNaN(newest)) total += (newest - before) * (this.#slope[p] as number);
      if (!still) allStill = false;
      if (this.#settling) {
        // Motion resumes when a plate leaves where it settled, not when its stillness is merely unproven.
        if (
          Math.abs(newest - (this.#settledAt[p] as number)) >
          moveThreshold(withPrior(inner, noiseDof(n), sigma), n, move)
        ) {
          this.#moved[p] = 1;
          resumed = true;
        }
      } else if (!this.#settlingStill(st, sigma, scale)) allSettling = false;
    }
    if (!active) {
      if (triggered) this.#begin(t, out);
      else if (quiet) this.#lastQuietAt = t;
      return;
    }
    if (Math.abs(total) > Math.abs(this.#peak)) this.#peak = total;
    if (allStill && w.firstTime() > this.#startedAt) this.#decide(t, out);
    else if (!this.#settling && allSettling) {
      this.#settling = true;
      for (let p = 0; p < P; p++) this.#settledAt[p] = w.meanFrom(p, 1);
      out.push({ type: 'settling', at: t });
    } else if (resumed) {
      this.#settling = false;
      out.push({ type: 'activity', at: t, plates: this.#movedPlates() });
    }
  }

  /** The sample's time on the sensor's clock: jitter backwards is held, a clock reset starts afresh. */
  #clock(time: number): number {
    const last = this.#lastT;
    if (!(time < last)) {
      const dt = time - last;
      if (dt > 0 && dt < this.tunables.settleMs / 2) this.#period += 0.05 * (dt - this.#period);
      return time;
    }
    if (time > last - CLOCK_RESET_MS) return last;
    this.#window.clear();
    this.#lastT = Number.NaN;
    this.#lastQuietAt = Number.NaN;
    if (this.#active) this.#startedAt = time - this.#period;
    return time;
  }

  /** Whether the plate described by `st` has been still over the two newest thirds: the shelf is settling. */
  #settlingStill(st: Float64Array, sigma: number, scale: number): boolean {
    const newer = st[STAT.n + 1] as number;
    const newest = st[STAT.n + 2] as number;
    if (newer === 0 || newest === 0) return false;
    const dof = newer + newest - 2;
    const inner = dof > 0 ? Math.sqrt(((st[STAT.ss + 1] as number) + (st[STAT.ss + 2] as number)) / dof) : 0;
    const tun = this.tunables;
    const band = stillBand(withPrior(inner, dof, sigma), newer + newest, 2, tun.stillGrams / scale);
    return (
      inner <= jitterCeiling(sigma, tun.jitterGrams / scale) &&
      Math.abs((st[STAT.mean + 2] as number) - (st[STAT.mean + 1] as number)) <= band &&
      !dyingDown(varianceOf(st, 1), varianceOf(st, 2), sigma)
    );
  }

  #movedPlates(): number[] {
    const plates: number[] = [];
    for (let p = 0; p < this.plates; p++) if (this.#moved[p] === 1) plates.push(p);
    return plates;
  }

  #begin(t: number, out: SensorOutput[]): void {
    this.#active = true;
    this.#settling = false;
    this.#peak = 0;
    this.#startedAt = Number.isNaN(this.#lastQuietAt) ? t : this.#lastQuietAt;
    this.#before.set(this.#level);
    out.push({ type: 'activity', at: t, plates: this.#movedPlates() });
  }

  /** Every plate is still again: what changed, and by how much. */
  #decide(t: number, out: SensorOutput[]): void {
    const w = this.#window;
    const usable = this.#moved;
    for (let p = 0; p < this.plates; p++) {
      const before = this.#before[p] as number;
      usable[p] = this.#faults.healthy(p) && !Number.isNaN(before) && !Number.isNaN(this.#level[p]) ? 1 : 0;
      if (usable[p] === 0) continue;
      const slope = this.#slope[p] as number;
      const inner = w.innerSd(p, 0);
      const sigma = this.#sigma[p] as number;
      this.#deltas[p] = (w.mean(p) - before) * slope;
      this.#sigmas[p] = Math.abs(slope) * Math.sqrt((inner * inner + sigma * sigma) / w.count(p));
    }
    const tun = this.tunables;
    const groups = groupChanges(this.#deltas, this.#sigmas, usable, tun.minPlateGrams, tun.minChangeGrams);
    const settledAt = w.firstTime();
    for (const g of groups) {
      const plateDeltas = new Float64Array(this.plates);
      for (const p of g.plates) plateDeltas[p] = this.#deltas[p] as number;
      out.push({
        type: 'change',
        startedAt: this.#startedAt,
        settledAt,
        decidedAt: t,
        plates: g.plates,
        plateDeltas,
        deltaGrams: g.deltaGrams,
        sigmaGrams: g.sigmaGrams,
      });
    }
    if (groups.length === 0)
      out.push({
        type: 'disturbance',
        startedAt: this.#startedAt,
        endedAt: settledAt,
        peakGrams: this.#peak,
      });
    for (let p = 0; p < this.plates; p++) if (usable[p] === 1) this.#level[p] = w.mean(p);
    usable.fill(0);
    this.#active = false;
    this.#settling = false;
    this.#lastQuietAt = t;
  }
}
