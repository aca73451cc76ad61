// The shapes sensing works in. Sensing is numbers only: no I/O, no clock, no XState. Times are
// milliseconds since the epoch as carried by the samples themselves.

/** grams = (reading - offset) * slope, the convention of most load-cell tooling (and of AIM3S). */
export interface PlateCalibration {
  slope: number;
  offset: number;
}

/** A plate's problem that makes its readings untrustworthy. */
export type PlateFault = 'saturated' | 'stuck' | 'noisy' | 'no-signal';

/** What the sensor decides as samples go by; only these reach the shelf machine. */
export type SensorOutput =
  /** The shelf left its stable state (a hand, an item, a knock). */
  | { type: 'activity'; at: number; plates: number[] }
  /** It is still again; the change is being confirmed. */
  | { type: 'settling'; at: number }
  /**
   * A lasting change, bracketed from the last stable sample before to the first stable sample after.
   * `plateDeltas` has one entry per plate of the shelf (0 for plates not in `plates`); `plates` are
   * the adjacent plates that took part, ascending. One settle can yield several changes when
   * separate groups of plates changed.
   */
  | {
      type: 'change';
      startedAt: number;
      settledAt: number;
      decidedAt: number;
      plates: number[];
      plateDeltas: Float64Array;
      deltaGrams: number;
      /** Measurement uncertainty of deltaGrams (one standard deviation), from the plates' noise. */
      sigmaGrams: number;
    }
  /** Activity that ended where it began: a hand pressing, a knock, an item lifted and put back. */
  | { type: 'disturbance'; startedAt: number; endedAt: number; peakGrams: number }
  | { type: 'fault'; plate: number; fault: PlateFault; at: number; detail: string }
  | { type: 'fault-cleared'; plate: number; fault: PlateFault; at: number };

export type ShelfChange = Extract<SensorOutput, { type: 'change' }>;

/** A product as the catalogue knows it. */
export interface Product {
  sku: string;
  name?: string;
  /** Mean unit weight. */
  grams: number;
  /** Standard deviation of the unit weight across real units. */
  spreadGrams: number;
}

/** Which plates of a shelf a product sits on (0-based plate indexes). */
export interface PlanogramEntry {
  sku: string;
  plates: number[];
}

export interface InferredItem {
  sku: string;
  qty: number;
  probability: number;
}

/** The most probable items behind a change, or why none explains it. */
export type Explanation =
  | { kind: 'items'; direction: 'pick' | 'put'; items: InferredItem[]; confidence: number }
  | { kind: 'anomaly'; reason: string };

/** A batch of a shelf's samples (the fields of the drivers' SampleBatch, drivers/weight/port.ts). */
export interface ShelfSamples {
  /** Time of the first sample, ms since the epoch. */
  t0: number;
  /** Sample i was taken at t0 + i * 1000 / rateHz. */
  rateHz: number;
  channels: number;
  /** Interleaved: sample i of channel c is values[i * channels + c]; NaN = no reading. */
  values: Float32Array;
}

/** The samples of one board, as drivers deliver them. */
export interface BoardSamples extends ShelfSamples {
  boardId: string;
}
