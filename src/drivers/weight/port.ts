// Load cells as batches of samples: the hot path stays in typed arrays, never one event per sample.
import type { DeviceLink } from '../link.js';

export interface SampleBatch {
  /** Time of the first sample, milliseconds since the epoch, derived from the device's clock. */
  t0: number;
  rateHz: number;
  /** Plates (channels) per sample. */
  channels: number;
  /** Grams, interleaved: sample i of channel c is values[i * channels + c]; NaN marks a failed channel. */
  values: Float32Array;
}

export type WeightLink = DeviceLink<SampleBatch>;
