// A shelf of load cells on a simulated RS-485 adapter, with the physics a technician meets on site:
// every plate has its own noise level (a few are noisier), drifts slowly, rings after a change, feels
// a hand pressing and letting go, carries items that rest across neighbouring plates, saturates at its
// rating, and now and then a line from the board is lost. Plates can also be made to fail.
// Cheap on purpose: a hub may simulate thousands of plates, so the sample loop allocates nothing and
// does no transcendental maths except on plates that are ringing or pressed.
import type { Clock, TimerHandle } from '../../system/clock.js';
import type { Random } from '../../system/random.js';
import { SimLink } from '../sim-link.js';
import type { SampleBatch, WeightLink } from './port.js';
import {
  defaultPhysics,
  itemSplit,
  NOISE_TABLE_SIZE,
  noiseTable,
  type PlateFailure,
  PlateMotion,
  plateNoise,
  type ShelfPhysics,
} from './sim-physics.js';

export type { PlateFailure, ShelfPhysics };

/** A noisy plate (a failing cell or cable) is this much noisier than it was. */
const NOISY_FACTOR = 20;
const HEALTHY = 0;
const failures: readonly PlateFailure[] = ['dead', 'stuck', 'noisy'];

export class SimShelf extends SimLink<SampleBatch> implements WeightLink {
  readonly id: string;
  readonly plates: number;
  readonly rateHz: number;
  readonly #clock: Clock;
  readonly #random: Random;
  /** Where items and hands land: its own stream, so it does not depend on how many samples were taken. */
  readonly #placing: Random;
  readonly #physics: ShelfPhysics;
  readonly #floor: number;
  readonly #motion: PlateMotion;
  readonly #noise: Float64Array;
  /** 0 = healthy, else 1 + the index in `failures`; a stuck plate repeats `#stuckAt`. */
  readonly #failure: Uint8Array;
  readonly #stuckAt: Float32Array;
  #timer: TimerHandle | undefined;
  #streamStart = 0;
  #sent = 0;
  #nextDrop = Number.POSITIVE_INFINITY;
  #dropped = 0;

  constructor(
    shelf: { id: string; plates: number; sampleRateHz: number },
    clock: Clock,
    random: Random,
    physics: Partial<ShelfPhysics> = {},
  ) {
    super();
    this.id = shelf.id;
    this.plates = shelf.plates;
    this.rateHz = shelf.sampleRateHz;
    this.#clock = clock;
    this.#random = random;
    this.#placing = random.fork('placing');
    const given = Object.fromEntries(Object.entries(physics).filter(([, v]) => v !== undefined));
    const baseGrams =
      physics.baseGrams ?? Array.from({ length: shelf.plates }, () => random.between(500, 3000));
    const settings: ShelfPhysics = { ...defaultPhysics, ...given, baseGrams };
    const { plateNoiseGrams, dropRate, capacityGrams } = settings;
    for (const [name, list] of [
      ['baseGrams', baseGrams],
      ['plateNoiseGrams', plateNoiseGrams ?? baseGrams],
    ] as const)
      if (list.length !== shelf.plates)
        throw new RangeError(
          `shelf ${shelf.id}: ${name} has ${list.length} plates, expected ${shelf.plates}`,
        );
    if (!(dropRate >= 0 && dropRate < 1)) throw new RangeError(`dropRate must be in [0, 1), not ${dropRate}`);
    this.#physics = settings;
    this.#floor = settings.floorGrams ?? -0.05 * capacityGrams;
    this.#motion = new PlateMotion(baseGrams, settings, random);
    this.#noise = Float64Array.from(
      plateNoiseGrams ?? plateNoise(shelf.plates, settings.noiseGrams, settings.noisyPlateShare, random),
    );
    this.#failure = new Uint8Array(shelf.plates);
    this.#stuckAt = new Float32Array(shelf.plates);
  }

  /** The load on a plate once it has settled, without noise, drift or a hand on it. */
  grams(plate: number): number {
    this.#check(plate, 0);
    return this.#motion.grams[plate] as number;
  }

  /** The rated load of each plate: readings go no higher. */
  get capacityGrams(): number {
    return this.#physics.capacityGrams;
  }

  /** The deviation of a healthy plate's noise: each plate has its own. */
  noiseGrams(plate: number): number {
    this.#check(plate, 0);
    return this.#noise[plate] as number;
  }

  /** How a plate has been made to fail, or undefined while it is healthy. */
  failure(plate: number): PlateFailure | undefined {
    this.#check(plate, 0);
    return failures[(this.#failure[plate] as number) - 1];
  }

  /** Samples lost on the way since the shelf was built (the gaps a technician sees in the stream). */
  get droppedSamples(): number {
    return this.#dropped;
  }

  /** Puts `grams` on a plate (0-based); the reading rings for a moment and settles on the new load. */
  place(plate: number, grams: number): void {
    this.#check(plate, grams);
    this.#emitBeforeChange();
    this.#motion.change(plate, grams, this.#clock.now());
  }

  /** Takes `grams` off a plate (0-based). */
  lift(plate: number, grams: number): void {
    this.place(plate, -grams);
  }

  /**
   * Puts an item across `plates` (side by side, in that order) and returns what each one took: split
   * as a rigid item with its centre of gravity somewhere near the middle (see `itemSplit`).
   */
  placeItem(plates: readonly number[], grams: number): number[] {
    return this.#move(plates, this.#split(plates, grams), 1);
  }

  /**
   * Lifts an item off `plates` and returns what each one lost: split as `placeItem` does for a unit
   * taken from anywhere, or exactly `grams` per plate when given one value per plate (a known unit).
   */
  liftItem(plates: readonly number[], grams: number | readonly number[]): number[] {
    const split = typeof grams === 'number' ? this.#split(plates, grams) : this.#given(plates, grams);
    return this.#move(plates, split, -1);
  }

  /** Puts an item there as if it had always been (stock set out before opening): no ringing. */
  stockItem(plates: readonly number[], grams: number): number[] {
    const split = this.#split(plates, grams);
    this.#emitBeforeChange();
    const loads = this.#motion.grams;
    for (const [i, plate] of plates.entries()) loads[plate] = (loads[plate] as number) + (split[i] as number);
    return split;
  }

  /**
   * A hand presses `grams` down on `plates` (split like an item) for `holdMs`, sways a little, and
   * lets go: the reading rings back to exactly the load it had. Returns the force on each plate.
   */
  press(plates: readonly number[], grams: number, holdMs: number): number[] {
    if (!(holdMs > 0 && Number.isFinite(holdMs))) throw new RangeError(`holdMs must be > 0, not ${holdMs}`);
    const split = this.#split(plates, grams);
    this.#emitBeforeChange();
    const now = this.#clock.now();
    for (const [i, plate] of plates.entries()) this.#motion.press(plate, split[i] as number, now, holdMs);
    return split;
  }

  /** Makes a plate fail: 'dead' reads NaN, 'stuck' repeats its present reading, 'noisy' 20× the noise. */
  failPlate(plate: number, failure: PlateFailure): void {
    this.#check(plate, 0);
    const code = failures.indexOf(failure) + 1;
    if (code === 0) throw new RangeError(`a plate fails 'dead', 'stuck' or 'noisy', not ${failure}`);
    this.#emitBeforeChange();
    const now = this.#clock.now();
    const reading = this.#motion.level(plate, now) + this.#motion.disturbance(plate, now);
    this.#stuckAt[plate] = Math.min(this.#physics.capacityGrams, Math.max(this.#floor, reading));
    this.#failure[plate] = code;
  }

  /** Ends a plate's failure; it reads its load again. */
  repairPlate(plate: number): void {
    this.#check(plate, 0);
    this.#emitBeforeChange();
    this.#failure[plate] = HEALTHY;
  }

  protected override opened(): void {
    this.#streamStart = this.#clock.now();
    this.#sent = 0;
    this.#nextDrop = this.#dropGap();
    this.#timer = this.#clock.setInterval(() => this.#emitDue(), this.#physics.batchMs);
  }

  protected override closed(): void {
    this.#clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #move(plates: readonly number[], split: number[], sign: 1 | -1): number[] {
    this.#emitBeforeChange();
    const now = this.#clock.now();
    for (const [i, plate] of plates.entries()) this.#motion.change(plate, sign * (split[i] as number), now);
    return split;
  }

  /** Samples already taken must still show the old state: hand them over before a change. */
  #emitBeforeChange(): void {
    if (this.isOpen) this.#emitDue();
  }

  /**
   * Sends every sample taken since the last batch; sample k was taken at start + k / rate. A lost
   * sample splits the batch, so each batch stays evenly spaced and the loss shows as a gap.
   */
  #emitDue(): void {
    const elapsed = this.#clock.now() - this.#streamStart;
    const taken = Math.floor((elapsed * this.rateHz) / 1000 + 1e-9) + 1;
    const from = this.#sent;
    if (taken <= from) return;
    const values = this.#fill(from, taken - from);
    this.#sent = taken;
    if (this.#nextDrop >= taken) {
      this.#deliverRun(from, values);
      return;
    }
    const channels = this.plates;
    let run = from;
    for (let lost = this.#nextDrop; lost < taken; lost = this.#nextDrop) {
      if (lost > run) this.#deliverRun(run, values.slice((run - from) * channels, (lost - from) * channels));
      this.#dropped++;
      run = lost + 1;
      this.#nextDrop = run + this.#dropGap();
    }
    if (run < taken) this.#deliverRun(run, values.slice((run - from) * channels));
  }

  #deliverRun(first: number, values: Float32Array): void {
    const t0 = this.#streamStart + (first * 1000) / this.rateHz;
    this.deliver({ t0, rateHz: this.rateHz, channels: this.plates, values });
  }

  /** Samples until the next lost one: geometric, so the cost is per loss, not per sample. */
  #dropGap(): number {
    const p = this.#physics.dropRate;
    if (p === 0) return Number.POSITIVE_INFINITY;
    return Math.floor(Math.log(1 - this.#random.next()) / Math.log(1 - p));
  }

  #fill(first: number, count: number): Float32Array {
    const channels = this.plates;
    const values = new Float32Array(count * channels);
    const step = 1000 / this.rateHz;
    const t0 = this.#streamStart + first * step;
    const motion = this.#motion;
    const random = this.#random;
    const mask = NOISE_TABLE_SIZE - 1;
    const high = this.#physics.capacityGrams;
    const low = this.#floor;
    for (let p = 0; p < channels; p++) {
      const failure = failures[(this.#failure[p] as number) - 1];
      if (failure === 'dead' || failure === 'stuck') {
        const constant = failure === 'dead' ? Number.NaN : (this.#stuckAt[p] as number);
        for (let at = p; at < values.length; at += channels) values[at] = constant;
        continue;
      }
      const sd = (this.#noise[p] as number) * (failure === 'noisy' ? NOISY_FACTOR : 1);
      // Drift moves over minutes; once per batch is plenty.
      const level = motion.level(p, t0);
      const still = motion.isStill(p);
      for (let i = 0, at = p; i < count; i++, at += channels) {
        let v = level + sd * (noiseTable[random.uint32() & mask] as number);
        if (!still) v += motion.disturbance(p, t0 + i * step);
        // The amplifier clips, as a real one does: a reading never leaves its range.
        values[at] = Math.min(high, Math.max(low, v));
      }
      if (!still) motion.fade(p, t0 + count * step);
    }
    return values;
  }

  #split(plates: readonly number[], grams: number): number[] {
    this.#checkPlates(plates, grams);
    return itemSplit(plates.length, grams, this.#placing);
  }

  #given(plates: readonly number[], grams: readonly number[]): number[] {
    this.#checkPlates(plates, 0);
    if (grams.length !== plates.length)
      throw new RangeError(`${grams.length} weights for ${plates.length} plates`);
    for (const g of grams) this.#check(plates[0] as number, g);
    return [...grams];
  }

  #checkPlates(plates: readonly number[], grams: number): void {
    if (plates.length === 0) throw new RangeError('an item rests on at least one plate');
    if (new Set(plates).size !== plates.length) throw new RangeError(`plates repeat: ${plates.join(', ')}`);
    for (const plate of plates) this.#check(plate, grams);
  }

  #check(plate: number, grams: number): void {
    if (!Number.isInteger(plate) || plate < 0 || plate >= this.plates)
      throw new RangeError(`shelf ${this.id} has plates 0-${this.plates - 1}, not ${plate}`);
    if (!Number.isFinite(grams)) throw new RangeError(`grams must be a finite number, not ${grams}`);
  }
}
