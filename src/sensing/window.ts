// The settle window: the last `settleMs` of every plate's readings, kept as three consecutive thirds
// with running sums, so that each sample costs O(plates) whatever the window's length. The thirds tell
// a still plate (their means agree within what the noise inside them allows) from a moving one, and
// their pooled inner noise is not fooled by a shelf that rings: ringing averages out within a third.
//
// Samples carry their own times. A sample belongs to the window while it is younger than
// settleMs - period/2, and to the thirds by the same rule at settleMs/3 and 2·settleMs/3, so samples
// that arrive a little early or late (polled boards) still fall in the right third.

/** Where describe() puts what (see there). */
export const STAT = { count: 0, n: 1, mean: 4, ss: 7, size: 10 } as const;

/** Which third of the window. */
const A = 0;
const B = 1;
const C = 2;

export class SettleWindow {
  readonly plates: number;
  readonly widthMs: number;
  /** Ring of readings, sample-major: slot k of plate p is values[k * plates + p]; NaN = no reading. */
  readonly #values: Float64Array;
  readonly #times: Float64Array;
  readonly #cap: number;
  /** Sequence numbers: the window is [#start, #head), third B starts at #b, third C at #c. */
  #start = 0;
  #b = 0;
  #c = 0;
  #head = 0;
  /** Per plate and third (index p * 3 + third): sum and sum of squares of (reading - ref), and count. */
  readonly #sum: Float64Array;
  readonly #sq: Float64Array;
  readonly #n: Float64Array;
  /** Per plate: the reading the sums are taken from, to keep them small and exact. */
  readonly #ref: Float64Array;

  constructor(plates: number, widthMs: number, maxRateHz: number) {
    this.plates = plates;
    this.widthMs = widthMs;
    this.#cap = Math.max(16, Math.ceil((widthMs / 1000) * maxRateHz) * 2 + 4);
    this.#values = new Float64Array(this.#cap * plates);
    this.#times = new Float64Array(this.#cap);
    this.#sum = new Float64Array(plates * 3);
    this.#sq = new Float64Array(plates * 3);
    this.#n = new Float64Array(plates * 3);
    this.#ref = new Float64Array(plates).fill(Number.NaN);
  }

  /** Adds the sample at time `t` (values[offset + p] for each plate) and ages the thirds; `periodMs` is the sampling period. */
  push(t: number, values: ArrayLike<number>, offset: number, periodMs: number): void {
    const P = this.plates;
    if (this.#head - this.#start === this.#cap) this.#evictOldest();
    if (this.#head % this.#cap === 0 && this.#head > 0) this.#rebase();
    const slot = this.#head % this.#cap;
    this.#times[slot] = t;
    const base = slot * P;
    for (let p = 0; p < P; p++) {
      const v = values[offset + p] as number;
      this.#values[base + p] = v;
      if (Number.isNaN(v)) continue;
      let ref = this.#ref[p] as number;
      if (Number.isNaN(ref)) {
        ref = v;
        this.#ref[p] = v;
      }
      const d = v - ref;
      const i = p * 3 + C;
      this.#sum[i] = (this.#sum[i] as number) + d;
      this.#sq[i] = (this.#sq[i] as number) + d * d;
      this.#n[i] = (this.#n[i] as number) + 1;
    }
    this.#head++;
    const half = periodMs / 2;
    const third = this.widthMs / 3;
    while (this.#c < this.#head && t - this.#timeOf(this.#c) >= third - half) this.#move(this.#c++, C, B);
    while (this.#b < this.#c && t - this.#timeOf(this.#b) >= 2 * third - half) this.#move(this.#b++, B, A);
    while (this.#start < this.#b && t - this.#timeOf(this.#start) >= this.widthMs - half)
      this.#move(this.#start++, A, -1);
  }

  /** Forgets every sample (after a gap in time, or a reset). */
  clear(): void {
    this.#start = this.#b = this.#c = this.#head;
    this.#sum.fill(0);
    this.#sq.fill(0);
    this.#n.fill(0);
  }

  /** Time of the oldest sample in the window, NaN when empty. */
  firstTime(): number {
    return this.#start < this.#head ? this.#timeOf(this.#start) : Number.NaN;
  }

  /** Readings of plate p in the window. */
  count(p: number): number {
    const i = p * 3;
    return (this.#n[i] as number) + (this.#n[i + 1] as number) + (this.#n[i + 2] as number);
  }

  /** Mean reading of plate p over the window (NaN without readings). */
  mean(p: number): number {
    const i = p * 3;
    const n = (this.#n[i] as number) + (this.#n[i + 1] as number) + (this.#n[i + 2] as number);
    const s = (this.#sum[i] as number) + (this.#sum[i + 1] as number) + (this.#sum[i + 2] as number);
    return (this.#ref[p] as number) + s / n;
  }

  /** Mean reading of plate p over the thirds from `from` to the newest (NaN without readings). */
  meanFrom(p: number, from: number): number {
    let s = 0;
    let n = 0;
    for (let k = from; k <= C; k++) {
      s += this.#sum[p * 3 + k] as number;
      n += this.#n[p * 3 + k] as number;
    }
    return (this.#ref[p] as number) + s / n;
  }

  /**
   * Pooled standard deviation of plate p's readings around their own third's mean, over the thirds
   * from `from` to the newest: the noise with any difference between thirds taken out.
   */
  innerSd(p: number, from: number): number {
    let ss = 0;
    let dof = 0;
    for (let k = from; k <= C; k++) {
      const i = p * 3 + k;
      const n = this.#n[i] as number;
      if (n === 0) continue;
      const s = this.#sum[i] as number;
      ss += (this.#sq[i] as number) - (s * s) / n;
      dof += n - 1;
    }
    return dof > 0 ? Math.sqrt(Math.max(0, ss / dof)) : 0;
  }

  /**
   * Everything the stillness tests need of plate p, in one pass, into `into`: at STAT.count the
   * readings in the window; per third k (0 oldest): readings at STAT.n + k, mean at STAT.mean + k,
   * and the sum of squares about that mean at STAT.ss + k.
   */
  describe(p: number, into: Float64Array): void {
    const ref = this.#ref[p] as number;
    let total = 0;
    for (let k = 0; k < 3; k++) {
      const i = p * 3 + k;
      const n = this.#n[i] as number;
      const s = this.#sum[i] as number;
      total += n;
      into[STAT.n + k] = n;
      into[STAT.mean + k] = ref + s / n;
      into[STAT.ss + k] = n > 0 ? Math.max(0, (this.#sq[i] as number) - (s * s) / n) : 0;
    }
    into[STAT.count] = total;
  }

  #timeOf(seq: number): number {
    return this.#times[seq % this.#cap] as number;
  }

  /** Moves sample `seq` from one third to the next (to -1: out of the window). */
  #move(seq: number, from: number, to: number): void {
    const P = this.plates;
    const base = (seq % this.#cap) * P;
    for (let p = 0; p < P; p++) {
      const v = this.#values[base + p] as number;
      if (Number.isNaN(v)) continue;
      const d = v - (this.#ref[p] as number);
      const i = p * 3;
      this.#sum[i + from] = (this.#sum[i + from] as number) - d;
      this.#sq[i + from] = (this.#sq[i + from] as number) - d * d;
      this.#n[i + from] = (this.#n[i + from] as number) - 1;
      if (to < 0) continue;
      this.#sum[i + to] = (this.#sum[i + to] as number) + d;
      this.#sq[i + to] = (this.#sq[i + to] as number) + d * d;
      this.#n[i + to] = (this.#n[i + to] as number) + 1;
    }
  }

  /** Drops the oldest sample when more arrive within the window than the ring holds. */
  #evictOldest(): void {
    const seq = this.#start;
    if (this.#b === seq) {
      if (this.#c === seq) this.#move(this.#c++, C, B);
      this.#move(this.#b++, B, A);
    }
    this.#move(this.#start++, A, -1);
  }

  /** Re-centres the sums on each plate's newest reading and recomputes them, so rounding never builds up. */
  #rebase(): void {
    const P = this.plates;
    for (let p = 0; p < P; p++) {
      for (let seq = this.#head - 1; seq >= this.#start; seq--) {
        const v = this.#values[(seq % this.#cap) * P + p] as number;
        if (!Number.isNaN(v)) {
          this.#ref[p] = v;
          break;
        }
      }
    }
    this.#sum.fill(0);
    this.#sq.fill(0);
    this.#n.fill(0);
    for (let seq = this.#start; seq < this.#head; seq++) {
      const third = seq < this.#b ? A : seq < this.#c ? B : C;
      const base = (seq % this.#cap) * P;
      for (let p = 0; p < P; p++) {
        const v = this.#values[base + p] as number;
        if (Number.isNaN(v)) continue;
        const d = v - (this.#ref[p] as number);
        const i = p * 3 + third;
        this.#sum[i] = (this.#sum[i] as number) + d;
        this.#sq[i] = (this.#sq[i] as number) + d * d;
        this.#n[i] = (this.#n[i] as number) + 1;
      }
    }
  }
}
