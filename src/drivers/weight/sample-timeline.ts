// When a streamed sample was taken, from the board's sequence number and its rate rather than from
// when its bytes happened to arrive: the OS hands over lines in bursts, and a shelf's change detection
// needs even spacing. Arrival time only anchors the timeline and keeps it honest.

const SEQ_SPAN = 2 ** 32;

export interface TimelineLimits {
  /** A forward jump longer than this is a board restart, not lost lines. Default 10 s. */
  maxGapMs?: number;
  /** Samples placed this far before their arrival mean the board's clock is slow: re-anchor. Default 1 s. */
  maxLagMs?: number;
}

/** What `settle` did to the anchor, for the log. */
export type Settled = 'kept' | 'anchored' | 'restarted' | 'caught-up';

/**
 * Places lines on a continuous position axis (one step per sample period) and turns positions into
 * times. Feed each valid line's seq to `next`, then call `settle` once per received chunk.
 */
export class SampleTimeline {
  readonly rateHz: number;
  readonly #periodMs: number;
  readonly #maxGap: number;
  readonly #maxLagMs: number;
  #lastSeq: number | undefined;
  #position = 0;
  #anchor: { position: number; time: number } | undefined;
  #restarted = false;
  /** Samples skipped before the line last given to `next` (0 when it followed on). */
  lost = 0;
  /** Whether the line last given to `next` broke the sequence (restart, or a jump too long to be loss). */
  broke = false;

  constructor(rateHz: number, limits: TimelineLimits = {}) {
    this.rateHz = rateHz;
    this.#periodMs = 1000 / rateHz;
    this.#maxGap = Math.ceil(((limits.maxGapMs ?? 10_000) * rateHz) / 1000);
    this.#maxLagMs = limits.maxLagMs ?? 1000;
  }

  /** Forgets everything, as after reopening the port: the next chunk anchors afresh. */
  reset(): void {
    this.#lastSeq = undefined;
    this.#anchor = undefined;
    this.#restarted = false;
  }

  /** Places the next valid line and returns its position; sets `lost` and `broke`. */
  next(seq: number): number {
    const last = this.#lastSeq;
    this.#lastSeq = seq;
    this.lost = 0;
    this.broke = false;
    if (last === undefined) return this.#position;
    // Unsigned distance modulo 2^32: a counter that wrapped from 4294967295 to 0 moved on by one.
    const step = (seq - last + SEQ_SPAN) % SEQ_SPAN;
    if (step >= 1 && step <= this.#maxGap) {
      this.lost = step - 1;
      this.#position += step;
    } else {
      // Backwards, repeated, or a jump too long to be lost lines: the board restarted. How long it was
      // away is unknown, so the line follows on and `settle` re-anchors the timeline on arrival.
      this.broke = true;
      this.#restarted = true;
      this.#position += 1;
    }
    return this.#position;
  }

  /**
   * Fixes the anchor after a chunk whose last line is at `position` and which arrived at `arrival`: the
   * first chunk anchors; a restart re-anchors; a sample never ends up later than its arrival (the
   * anchor slides back, which also sheds the delay of the line that anchored); samples lagging their
   * arrival by more than maxLagMs (a slow board clock) re-anchor.
   */
  settle(position: number, arrival: number): Settled {
    const anchor = this.#anchor;
    if (!anchor || this.#restarted) {
      const how = anchor ? 'restarted' : 'anchored';
      this.#anchor = { position, time: arrival };
      this.#restarted = false;
      return how;
    }
    const time = this.time(position);
    if (time > arrival) anchor.time -= time - arrival;
    else if (arrival - time > this.#maxLagMs) {
      this.#anchor = { position, time: arrival };
      return 'caught-up';
    }
    return 'kept';
  }

  /** The time of the sample at `position`, in epoch milliseconds; only after the first `settle`. */
  time(position: number): number {
    const anchor = this.#anchor ?? { position, time: Number.NaN };
    return anchor.time + (position - anchor.position) * this.#periodMs;
  }
}
