// Chance as the simulation sees it. Seeded, so a run (and a failing test) can be repeated.

/** A seeded pseudo-random stream (mulberry32): fast, 32-bit state, good enough for a simulation. */
export class Random {
  readonly seed: number;
  #state: number;
  #spareGaussian: number | undefined;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }

  /** A uniform integer in [0, 2^32). */
  uint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** A uniform number in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new RangeError('cannot pick from an empty list');
    return list[this.int(list.length)] as T;
  }

  /** A normal deviate with mean 0 and deviation 1 (Box-Muller, keeping the second value). */
  gaussian(): number {
    const spare = this.#spareGaussian;
    if (spare !== undefined) {
      this.#spareGaussian = undefined;
      return spare;
    }
    const u = 1 - this.next(); // in (0, 1], so the log is finite
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * this.next();
    this.#spareGaussian = r * Math.sin(a);
    return r * Math.cos(a);
  }

  /** A waiting time with the given mean (the gap between events that arrive at random). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /**
   * An independent stream for one part of the simulation, derived from the seed and the label only,
   * so adding a shelf or drawing more numbers elsewhere leaves the fault sequence alone.
   */
  fork(label: string): Random {
    return new Random(deriveSeed(this.seed, label));
  }
}

/** Mixes a seed with a label (FNV-1a over the label's UTF-16 code units). */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
