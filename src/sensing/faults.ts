// Plate faults: readings that cannot be trusted, told apart by what a real load cell never does.
// A live converter always jitters, so an exactly repeating reading is stuck; a converter that changed
// on most samples and suddenly repeats one value beyond anything seen before, far from where the plate
// rested, is pinned at its full scale: saturated (as is one beyond the rated capacity). Boards that
// filter or round until their readings repeat are never called pinned, only stuck after stuckMs; a plate without readings has no signal; one that keeps shaking far beyond its own
// noise profile is noisy. A plate has at most one fault at a time, the most serious.
import type { SensingTunables } from './settings.js';
import type { PlateFault, SensorOutput } from './types.js';

/** Most serious first; index 0 is "no fault". */
const FAULTS: readonly (PlateFault | undefined)[] = [undefined, 'no-signal', 'saturated', 'stuck', 'noisy'];
const NO_SIGNAL = 1;
const SATURATED = 2;
const STUCK = 3;
const NOISY = 4;
/** A pinned reading must repeat at least this many times, whatever the rate, to be told from chance. */
const PINNED_SAMPLES = 8;
/** A converter is live when at least this share of its readings differ from the one before. */
const LIVELY = 0.5;
/** How fast that share follows: about the last 50 readings. */
const LIVELY_GAIN = 0.02;

export class PlateFaults {
  readonly plates: number;
  readonly #t: SensingTunables;
  /** The fault in force per plate (index into FAULTS). */
  readonly fault: Uint8Array;
  readonly #lastReadingAt: Float64Array;
  readonly #runValue: Float64Array;
  readonly #runSince: Float64Array;
  readonly #runLength: Float64Array;
  /** The range of readings seen before the present run: a pinned value lies beyond it. */
  readonly #lowest: Float64Array;
  readonly #highest: Float64Array;
  readonly #overSince: Float64Array;
  /** Per plate: 1 while its present run of identical readings is a pinned one. */
  readonly #pinned: Uint8Array;
  /** Per plate: the share of recent readings that differed from the one before (leaky, 0..1). */
  readonly #lively: Float64Array;
  /** Per plate: how lively it was when its present run began. */
  readonly #livelyBefore: Float64Array;
  /** Leaky time spent beyond the stillness jitter, ms. */
  readonly #noisyFor: Float64Array;

  constructor(plates: number, tunables: SensingTunables) {
    this.plates = plates;
    this.#t = tunables;
    this.fault = new Uint8Array(plates);
    this.#lastReadingAt = new Float64Array(plates).fill(Number.NaN);
    this.#runValue = new Float64Array(plates).fill(Number.NaN);
    this.#runSince = new Float64Array(plates);
    this.#runLength = new Float64Array(plates);
    this.#lowest = new Float64Array(plates).fill(Number.POSITIVE_INFINITY);
    this.#highest = new Float64Array(plates).fill(Number.NEGATIVE_INFINITY);
    this.#overSince = new Float64Array(plates).fill(Number.NaN);
    this.#pinned = new Uint8Array(plates);
    this.#lively = new Float64Array(plates);
    this.#livelyBefore = new Float64Array(plates);
    this.#noisyFor = new Float64Array(plates);
  }

  /** Whether plate p's readings are trusted now. */
  healthy(p: number): boolean {
    return this.fault[p] === 0;
  }

  faultOf(p: number): PlateFault | undefined {
    return FAULTS[this.fault[p] as number];
  }

  /**
   * Looks at plate p's reading at time t (NaN: none), `grams` the same in grams; `level` is where the
   * plate rests (NaN: unknown) and `move` how far from it is a real move, both in reading units.
   * Appends a fault or fault-cleared output when the plate's fault changes; returns true when it did.
   */
  observe(
    p: number,
    t: number,
    reading: number,
    grams: number,
    level: number,
    move: number,
    out: SensorOutput[],
  ): boolean {
    const tun = this.#t;
    if (Number.isNaN(this.#lastReadingAt[p])) this.#lastReadingAt[p] = t;
    let stuck = false;
    let saturated = false;
    if (!Number.isNaN(reading)) {
      this.#lastReadingAt[p] = t;
      const changed = reading !== this.#runValue[p];
      this.#lively[p] =
        (this.#lively[p] as number) + LIVELY_GAIN * ((changed ? 1 : 0) - (this.#lively[p] as number));
      if (!changed) {
        this.#runLength[p] = (this.#runLength[p] as number) + 1;
      } else {
        this.#livelyBefore[p] = this.#lively[p] as number;
        const last = this.#runValue[p] as number;
        if (!Number.isNaN(last)) {
          if (last < (this.#lowest[p] as number)) this.#lowest[p] = last;
          if (last > (this.#highest[p] as number)) this.#highest[p] = last;
        }
        this.#runValue[p] = reading;
        this.#runSince[p] = t;
        this.#runLength[p] = 1;
        this.#pinned[p] = 0;
      }
      const runMs = t - (this.#runSince[p] as number);
      stuck = runMs >= tun.stuckMs;
      // Pinned: a plate that jittered, now frozen at a value beyond all it read before, far from where
      // it rested. It stays pinned until the reading moves again.
      const lowest = this.#lowest[p] as number;
      const highest = this.#highest[p] as number;
      if (
        this.#pinned[p] === 0 &&
        runMs >= tun.saturationMs &&
        (this.#runLength[p] as number) >= PINNED_SAMPLES &&
        (this.#livelyBefore[p] as number) >= LIVELY &&
        (reading > highest || reading < lowest) &&
        Math.abs(reading - level) > move
      )
        this.#pinned[p] = 1;
      const pinned = this.#pinned[p] === 1;
      if (Math.abs(grams) >= tun.capacityGrams) {
        if (Number.isNaN(this.#overSince[p])) this.#overSince[p] = t;
      } else this.#overSince[p] = Number.NaN;
      saturated = pinned || t - (this.#overSince[p] as number) >= tun.saturationMs;
    }
    const silent = t - (this.#lastReadingAt[p] as number) >= tun.noSignalMs;
    // Hysteresis: noisy once beyond for noisyMs, and until as long calm has worn that off.
    const noisyFor = this.#noisyFor[p] as number;
    const noisy = this.fault[p] === NOISY ? noisyFor > 0 : noisyFor >= tun.noisyMs;
    const next = silent ? NO_SIGNAL : saturated ? SATURATED : stuck ? STUCK : noisy ? NOISY : 0;
    const now = this.fault[p] as number;
    if (next === now) return false;
    if (now !== 0) out.push({ type: 'fault-cleared', plate: p, fault: FAULTS[now] as PlateFault, at: t });
    if (next !== 0)
      out.push({
        type: 'fault',
        plate: p,
        fault: FAULTS[next] as PlateFault,
        at: t,
        detail: this.#detail(p, next),
      });
    this.fault[p] = next;
    return true;
  }

  /** Counts `dt` ms of plate p being beyond (or within) the jitter that stillness tolerates. */
  shaking(p: number, beyond: boolean, dt: number): void {
    const held = (this.#noisyFor[p] as number) + (beyond ? dt : -dt);
    this.#noisyFor[p] = Math.min(this.#t.noisyMs, Math.max(0, held));
  }

  #detail(p: number, fault: number): string {
    const t = this.#t;
    switch (fault) {
      case NO_SIGNAL:
        return `no reading for ${t.noSignalMs} ms`;
      case SATURATED:
        return Number.isFinite(t.capacityGrams)
          ? `reading at or beyond ${t.capacityGrams} g, or pinned at ${this.#runValue[p]}`
          : `reading pinned at ${this.#runValue[p]}`;
      case STUCK:
        return `reading ${this.#runValue[p]} repeated exactly for ${t.stuckMs} ms`;
      default:
        return `shaking beyond its noise profile for ${t.noisyMs} ms`;
    }
  }
}
