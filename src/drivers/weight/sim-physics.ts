// The physics of a simulated shelf (sim.ts is its link): the settings, the noise, what rests on the
// plates and how it moves (settled load, slow drift, ringing after a change, a hand pressing down), and
// how an item shares its weight between plates. One typed array per quantity, indexed by plate, so the
// sample loop allocates nothing.
import { Random } from '../../system/random.js';

export interface ShelfPhysics {
  /** Load on each plate before anything is placed or lifted; default 500-3000 g drawn at random. */
  baseGrams: readonly number[];
  /** Mean deviation of the per-sample noise; each plate draws its own level around it. */
  noiseGrams: number;
  /** Each plate's own noise deviation, when a test needs them fixed; default drawn by `plateNoise`. */
  plateNoiseGrams: readonly number[] | undefined;
  /** Share of plates that are two to four times noisier than the rest (a bad screen, a fan nearby). */
  noisyPlateShare: number;
  /** Amplitude of the slow (thermal) drift of each plate. */
  driftGrams: number;
  /** Period of that drift. */
  driftPeriodMs: number;
  /** Time constant of the decay of the ringing after a change. */
  settleTauMs: number;
  /** Frequency of that ringing. */
  ringHz: number;
  /** Rated load of a plate; its amplifier reads no higher (AiFi plates are rated 20 kg). */
  capacityGrams: number;
  /** The amplifier's lower end; default 5 % of the capacity below zero. */
  floorGrams: number | undefined;
  /** Chance that a sample (one line from the board, all plates) is lost on the way. */
  dropRate: number;
  /** How often the adapter hands over a batch of samples. */
  batchMs: number;
}

export type PlateFailure = 'dead' | 'stuck' | 'noisy';

export const defaultPhysics: Omit<ShelfPhysics, 'baseGrams'> = {
  noiseGrams: 0.5,
  plateNoiseGrams: undefined,
  noisyPlateShare: 0.05,
  driftGrams: 1,
  driftPeriodMs: 20 * 60_000,
  settleTauMs: 150,
  ringHz: 4,
  capacityGrams: 20_000,
  floorGrams: undefined,
  dropRate: 0,
  batchMs: 100,
};

// Normal deviates drawn once; each sample picks one by a random index, which costs one PRNG step.
export const NOISE_TABLE_SIZE = 4096;
export const noiseTable = (() => {
  const random = new Random(0x5eed);
  const table = new Float32Array(NOISE_TABLE_SIZE);
  for (let i = 0; i < table.length; i++) table[i] = random.gaussian();
  return table;
})();

export type PlateMotionSettings = Pick<
  ShelfPhysics,
  'driftGrams' | 'driftPeriodMs' | 'settleTauMs' | 'ringHz'
>;

/** Below this the ringing is lost in the noise and the plate counts as settled. */
const RING_FLOOR_GRAMS = 0.01;
/** A pressing hand is never still: it sways by this share of its force, at HAND_HZ. */
const HAND_SWAY = 0.08;
const HAND_HZ = 2.5;

export class PlateMotion {
  /** Settled load of each plate: what lies on it, without drift, ringing or a hand. */
  readonly grams: Float64Array;
  readonly #settings: PlateMotionSettings;
  readonly #driftPhase: Float64Array;
  readonly #ringAmp: Float64Array;
  readonly #ringStart: Float64Array;
  /** The hand on each plate (0 = none), when it came and when it lets go. */
  readonly #hand: Float64Array;
  readonly #handFrom: Float64Array;
  readonly #handUntil: Float64Array;

  constructor(baseGrams: readonly number[], settings: PlateMotionSettings, random: Random) {
    const plates = baseGrams.length;
    this.grams = Float64Array.from(baseGrams);
    this.#settings = settings;
    this.#driftPhase = Float64Array.from({ length: plates }, () => random.between(0, 2 * Math.PI));
    this.#ringAmp = new Float64Array(plates);
    this.#ringStart = new Float64Array(plates);
    this.#hand = new Float64Array(plates);
    this.#handFrom = new Float64Array(plates);
    this.#handUntil = new Float64Array(plates);
  }

  /** Settled load plus drift at `at`. */
  level(plate: number, at: number): number {
    const { driftGrams, driftPeriodMs } = this.#settings;
    // Reduced to one period first: the sine of a huge angle (epoch milliseconds) is slow and imprecise.
    const angle = (2 * Math.PI * (at % driftPeriodMs)) / driftPeriodMs + (this.#driftPhase[plate] as number);
    return (this.grams[plate] as number) + driftGrams * Math.sin(angle);
  }

  /** Whether the plate is neither ringing nor pressed: its reading is level plus noise. */
  isStill(plate: number): boolean {
    return this.#ringAmp[plate] === 0 && this.#hand[plate] === 0;
  }

  /** What the ringing and a hand add to the level at `at`; times must not go backwards. */
  disturbance(plate: number, at: number): number {
    this.#letGo(plate, at);
    return this.#ring(plate, at) + (this.#hand[plate] === 0 ? 0 : this.#handAt(plate, at));
  }

  /** Marks the plate still once its ringing has faded below the noise by `at`. */
  fade(plate: number, at: number): void {
    if (this.#hand[plate] !== 0 || this.#ringAmp[plate] === 0) return;
    const dt = Math.max(0, at - (this.#ringStart[plate] as number));
    const envelope = (this.#ringAmp[plate] as number) * Math.exp(-dt / this.#settings.settleTauMs);
    if (Math.abs(envelope) < RING_FLOOR_GRAMS) this.#ringAmp[plate] = 0;
  }

  /** Changes the settled load by `grams` at `now`; the reading rings on from where it was. */
  change(plate: number, grams: number, now: number): void {
    this.#letGo(plate, now);
    this.#ringAmp[plate] = this.#ring(plate, now) - grams;
    this.#ringStart[plate] = now;
    this.grams[plate] = (this.grams[plate] as number) + grams;
  }

  /** A hand presses `grams` from `now` for `holdMs`, replacing one already there. */
  press(plate: number, grams: number, now: number, holdMs: number): void {
    const before = this.disturbance(plate, now);
    this.#hand[plate] = grams;
    this.#handFrom[plate] = now;
    this.#handUntil[plate] = now + holdMs;
    // The new hand starts at its full force (no sway yet); the ringing carries the difference.
    this.#ringAmp[plate] = before - grams;
    this.#ringStart[plate] = now;
  }

  /** Lifts a hand whose time is up by `at`; the plate rings on from where the hand left it. */
  #letGo(plate: number, at: number): void {
    const until = this.#handUntil[plate] as number;
    if (this.#hand[plate] === 0 || at < until) return;
    this.#ringAmp[plate] = this.#ring(plate, until) + this.#handAt(plate, until);
    this.#ringStart[plate] = until;
    this.#hand[plate] = 0;
  }

  #handAt(plate: number, at: number): number {
    const sway = Math.sin((2 * Math.PI * HAND_HZ * (at - (this.#handFrom[plate] as number))) / 1000);
    return (this.#hand[plate] as number) * (1 + HAND_SWAY * sway);
  }

  #ring(plate: number, at: number): number {
    const amp = this.#ringAmp[plate] as number;
    if (amp === 0) return 0;
    const dt = at - (this.#ringStart[plate] as number);
    const { settleTauMs, ringHz } = this.#settings;
    return amp * Math.exp(-Math.max(0, dt) / settleTauMs) * Math.cos((2 * Math.PI * ringHz * dt) / 1000);
  }
}

/**
 * How an item of `grams` resting across `count` plates side by side loads each of them. The item is
 * rigid and the plates equally stiff, so plate i carries grams × (1/n + d·(i − m)/S), with
 * m = (n − 1)/2 and S = Σ(i − m)², where d, the offset of the item's centre of gravity from the middle
 * of its plates, is drawn uniformly within ±(n + 1)/12 plate widths. Two plates thus share it 25-75 %,
 * three take 1/6 to 1/2 each. The shares sum to `grams` exactly (the last plate takes the rounding).
 */
export function itemSplit(count: number, grams: number, random: Random): number[] {
  if (count === 1) return [grams];
  const m = (count - 1) / 2;
  const s = (count * (count * count - 1)) / 12;
  const d = random.between(-1, 1) * ((count + 1) / 12);
  const split = Array.from({ length: count }, (_, i) => grams * (1 / count + (d * (i - m)) / s));
  split[count - 1] = grams - split.slice(0, -1).reduce((a, b) => a + b, 0);
  return split;
}

/** Each plate's noise deviation: log-normal around `meanGrams`, and a share of plates 2-4× noisier. */
export function plateNoise(plates: number, meanGrams: number, noisyShare: number, random: Random): number[] {
  return Array.from({ length: plates }, () => {
    const level = meanGrams * Math.exp(0.2 * random.gaussian());
    return random.next() < noisyShare ? level * random.between(2, 4) : level;
  });
}
