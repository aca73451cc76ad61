// A shelf of load cells on a simulated RS-485 adapter. Each plate reads its load plus slow drift and
// a little noise; placing or lifting an item rings briefly before it settles, like a real plate.
// Cheap on purpose: a hub may simulate thousands of plates, so the sample loop allocates nothing and
// does no transcendental maths except on plates that are still ringing.
import type { ShelfConfig } from '../../config/schema.js';
import type { Clock, TimerHandle } from '../../system/clock.js';
import { Random } from '../../system/random.js';
import { SimLink } from '../sim-link.js';
import type { SampleBatch, WeightLink } from './port.js';

export interface ShelfPhysics {
  /** Load on each plate before anything is placed or lifted; default 500-3000 g drawn at random. */
  baseGrams: readonly number[];
  /** Deviation of the per-sample noise. */
  noiseGrams: number;
  /** Amplitude of the slow (thermal) drift of each plate. */
  driftGrams: number;
  /** Period of that drift. */
  driftPeriodMs: number;
  /** Time constant of the decay of the ringing after a change. */
  settleTauMs: number;
  /** Frequency of that ringing. */
  ringHz: number;
  /** How often the adapter hands over a batch of samples. */
  batchMs: number;
}

const defaults: Omit<ShelfPhysics, 'baseGrams'> = {
  noiseGrams: 0.5,
  driftGrams: 1,
  driftPeriodMs: 20 * 60_000,
  settleTauMs: 150,
  ringHz: 4,
  batchMs: 100,
};

// Normal deviates drawn once; each sample picks one by a random index, which costs one PRNG step.
const NOISE_TABLE_SIZE = 4096;
const noiseTable = (() => {
  const random = new Random(0x5eed);
  const table = new Float32Array(NOISE_TABLE_SIZE);
  for (let i = 0; i < table.length; i++) table[i] = random.gaussian();
  return table;
})();

/** Below this the ringing is lost in the noise and the plate counts as settled. */
const RING_FLOOR_GRAMS = 0.01;

export class SimShelf extends SimLink<SampleBatch> implements WeightLink {
  readonly id: string;
  readonly plates: number;
  readonly rateHz: number;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #physics: ShelfPhysics;
  readonly #grams: Float64Array;
  readonly #driftPhase: Float64Array;
  readonly #ringAmp: Float64Array;
  readonly #ringStart: Float64Array;
  #timer: TimerHandle | undefined;
  #streamStart = 0;
  #sent = 0;

  constructor(
    shelf: Pick<ShelfConfig, 'id' | 'plates' | 'sampleRateHz'>,
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
    const baseGrams =
      physics.baseGrams ?? Array.from({ length: shelf.plates }, () => random.between(500, 3000));
    if (baseGrams.length !== shelf.plates)
      throw new RangeError(
        `shelf ${shelf.id}: baseGrams has ${baseGrams.length} plates, expected ${shelf.plates}`,
      );
    this.#physics = { ...defaults, ...physics, baseGrams };
    this.#grams = Float64Array.from(baseGrams);
    this.#driftPhase = Float64Array.from({ length: shelf.plates }, () => random.between(0, 2 * Math.PI));
    this.#ringAmp = new Float64Array(shelf.plates);
    this.#ringStart = new Float64Array(shelf.plates);
  }

  /** The load on a plate once it has settled, without noise or drift. */
  grams(plate: number): number {
    this.#check(plate, 0);
    return this.#grams[plate] as number;
  }

  /** Puts `grams` on a plate (0-based); the reading rings for a moment and settles on the new load. */
  place(plate: number, grams: number): void {
    this.#check(plate, grams);
    // Samples already taken must still show the old load: hand them over before the change.
    if (this.isOpen) this.#emitDue();
    const now = this.#clock.now();
    // The new ringing starts from wherever the old one is, so quick successive changes still add up.
    this.#ringAmp[plate] = this.#ring(plate, now) - grams;
    this.#ringStart[plate] = now;
    this.#grams[plate] = (this.#grams[plate] as number) + grams;
  }

  /** Takes `grams` off a plate (0-based). */
  lift(plate: number, grams: number): void {
    this.place(plate, -grams);
  }

  protected override opened(): void {
    this.#streamStart = this.#clock.now();
    this.#sent = 0;
    this.#timer = this.#clock.setInterval(() => this.#emitDue(), this.#physics.batchMs);
  }

  protected override closed(): void {
    this.#clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Sends every sample taken since the last batch; sample k was taken at start + k / rate. */
  #emitDue(): void {
    const elapsed = this.#clock.now() - this.#streamStart;
    const taken = Math.floor((elapsed * this.rateHz) / 1000 + 1e-9) + 1;
    const count = taken - this.#sent;
    if (count <= 0) return;
    const batch: SampleBatch = {
      t0: this.#streamStart + (this.#sent * 1000) / this.rateHz,
      rateHz: this.rateHz,
      channels: this.plates,
      values: this.#fill(count),
    };
    this.#sent = taken;
    this.deliver(batch);
  }

  #fill(count: number): Float32Array {
    const channels = this.plates;
    const values = new Float32Array(count * channels);
    const { noiseGrams, driftGrams, driftPeriodMs } = this.#physics;
    const t0 = this.#streamStart + (this.#sent * 1000) / this.rateHz;
    const step = 1000 / this.rateHz;
    const driftAngle = (2 * Math.PI * t0) / driftPeriodMs;
    const random = this.#random;
    const mask = NOISE_TABLE_SIZE - 1;
    for (let p = 0; p < channels; p++) {
      // Drift moves over minutes; once per batch is plenty.
      const level =
        (this.#grams[p] as number) + driftGrams * Math.sin(driftAngle + (this.#driftPhase[p] as number));
      const ringing = this.#ringAmp[p] !== 0;
      for (let i = 0, at = p; i < count; i++, at += channels) {
        const noise = noiseGrams * (noiseTable[random.uint32() & mask] as number);
        values[at] = ringing ? level + this.#ring(p, t0 + i * step) + noise : level + noise;
      }
      if (ringing && Math.abs(this.#ringEnvelope(p, t0 + count * step)) < RING_FLOOR_GRAMS)
        this.#ringAmp[p] = 0;
    }
    return values;
  }

  #ring(plate: number, at: number): number {
    const amp = this.#ringAmp[plate] as number;
    if (amp === 0) return 0;
    const dt = at - (this.#ringStart[plate] as number);
    return this.#ringEnvelope(plate, at) * Math.cos((2 * Math.PI * this.#physics.ringHz * dt) / 1000);
  }

  #ringEnvelope(plate: number, at: number): number {
    const dt = Math.max(0, at - (this.#ringStart[plate] as number));
    return (this.#ringAmp[plate] as number) * Math.exp(-dt / this.#physics.settleTauMs);
  }

  #check(plate: number, grams: number): void {
    if (!Number.isInteger(plate) || plate < 0 || plate >= this.plates)
      throw new RangeError(`shelf ${this.id} has plates 0-${this.plates - 1}, not ${plate}`);
    if (!Number.isFinite(grams)) throw new RangeError(`grams must be a finite number, not ${grams}`);
  }
}
