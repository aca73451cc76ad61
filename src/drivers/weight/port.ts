// Load cells as batches of samples: the hot path stays in typed arrays, never one event per sample.
import type { DeviceLink } from '../link.js';

export interface SampleBatch {
  /** Time of the first sample, milliseconds since the epoch, derived from the device's clock. */
  t0: number;
  /** Sample i was taken at t0 + i * 1000 / rateHz. A batch of one sample carries its own time in t0. */
  rateHz: number;
  /** Plates (channels) per sample. */
  channels: number;
  /**
   * Readings in the board's unit (grams, or raw counts that the shelf's calibration turns into grams),
   * interleaved: sample i of channel c is values[i * channels + c]. NaN marks a failed or out-of-range
   * channel in that sample.
   */
  values: Float32Array;
}

export type WeightLink = DeviceLink<SampleBatch>;

/** Samples from one board on a bus. */
export interface BoardBatch extends SampleBatch {
  boardId: string;
}

/** What a bus has dropped, by cause; counted, never thrown. Diagnostics and metrics show them. */
export interface BusCounters {
  /** Frames or lines accepted. */
  frames: number;
  /** Modbus frames whose CRC did not match. */
  badCrc: number;
  /** Lines or frames that were cut short, unparseable or not what the protocol allows. */
  malformed: number;
  /** Requests that got no answer in time. */
  timeouts: number;
  /** Samples lost on the way (an ascii-stream seq jump, a missed poll). */
  lostSamples: number;
  /** Values that were NaN, infinite or outside the profile's range; delivered as NaN. */
  outOfRange: number;
  /** Error replies from a device (a Modbus exception, an MT-SICS error). */
  deviceErrors: number;
}

export interface BoardStatus {
  boardId: string;
  online: boolean;
  /** Short, for a technician: "address 3 not answering (timeout)". */
  reason: string;
}

/**
 * One serial port and the boards on it. As a DeviceLink it is the port: open, lost, reopened with
 * backoff by the device-link machine. Boards on an open port come and go on their own (a Modbus
 * module that stops answering), which `onBoardStatus` reports.
 */
export interface WeightBus extends DeviceLink<BoardBatch> {
  readonly id: string;
  onBoardStatus(listener: (status: BoardStatus) => void): () => void;
  counters(): Readonly<BusCounters>;
  /** Each board's state and what the bus measures of it (a Modbus module's achieved poll rate), where it does. */
  boards?(): readonly { boardId: string; online: boolean | undefined; reason: string }[];
  /** Sends a board its zero/tare command, where its profile defines one; rejects with the reason otherwise. */
  zero(boardId: string): Promise<void>;
}

export function emptyCounters(): BusCounters {
  return { frames: 0, badCrc: 0, malformed: 0, timeouts: 0, lostSamples: 0, outOfRange: 0, deviceErrors: 0 };
}
