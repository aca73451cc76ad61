// What the bus knows of each module on it: online or not and why, when an offline one is next
// probed, and how often it has been answering lately.
import { describeException } from './frames.js';
import type { Exchange } from './line.js';
import { charMs, frameSilenceMs } from './line.js';
import type { ModbusProfile } from './profile.js';
import { SampleDecoder } from './readings.js';

/** A module on the bus. */
export interface ModbusBoard {
  readonly id: string;
  /** Modbus slave address, 1-247. */
  readonly address: number;
  readonly profile: ModbusProfile;
}

/** Probing an offline module: the first probe after minMs, then doubling up to maxMs. */
export interface ProbeBackoff {
  minMs: number;
  maxMs: number;
}

/** How a request can fail short of losing the port. */
export type Failure = Exclude<Exchange, { kind: 'reply' } | { kind: 'lost' }>;

/** Weight of the newest interval in the smoothed poll interval. */
const RATE_SMOOTHING = 0.2;

export class ModuleState {
  readonly board: ModbusBoard;
  readonly decoder: SampleDecoder;
  /** Time one poll of it takes on the wire, silences included, when it answers at once. */
  readonly wireMs: number;
  /** undefined until its first poll since the bus opened has ended. */
  online: boolean | undefined;
  reason = '';
  /** Good polls since the bus opened. */
  samples = 0;
  /** When an offline module is due its next probe. */
  probeAt = 0;
  /** Failed probes in a row while offline. */
  #probes = 0;
  #lastAnswerAt: number | undefined;
  /** Smoothed time between good polls. */
  #intervalMs: number | undefined;

  constructor(board: ModbusBoard, baudRate: number) {
    this.board = board;
    this.decoder = new SampleDecoder(board.profile);
    // Per read: the silence, an 8-byte request and a reply of 5 bytes plus the registers.
    this.wireMs = this.decoder.reads.reduce(
      (ms, read) => ms + frameSilenceMs(baudRate) + charMs(baudRate) * (13 + 2 * read.count),
      0,
    );
    this.reset('not polled yet');
  }

  /** Forgets everything but the module itself: the bus (re)opened or closed. */
  reset(reason: string): void {
    this.online = undefined;
    this.reason = reason;
    this.samples = 0;
    this.probeAt = 0;
    this.#probes = 0;
    this.#lastAnswerAt = undefined;
    this.#intervalMs = undefined;
  }

  /** Whether it is to be polled now: live, not yet known, or offline and due a probe. */
  due(now: number): boolean {
    return this.online !== false || this.probeAt <= now;
  }

  /** A good poll at `now`; true when it brought the module online. */
  answered(now: number): boolean {
    if (this.#lastAnswerAt !== undefined) {
      const interval = now - this.#lastAnswerAt;
      this.#intervalMs =
        this.#intervalMs === undefined
          ? interval
          : this.#intervalMs + RATE_SMOOTHING * (interval - this.#intervalMs);
    }
    this.#lastAnswerAt = now;
    this.samples++;
    if (this.online === true) return false;
    this.online = true;
    this.#probes = 0;
    this.reason = `address ${this.board.address} answering`;
    return true;
  }

  /**
   * A failed poll at `now`: the module is offline (or stays so) and is probed after the backoff.
   * Returns whether a technician should hear of it: it went offline, or fails differently now.
   */
  failed(now: number, reason: string, backoff: ProbeBackoff): boolean {
    const wasOffline = this.online === false;
    this.#probes = wasOffline ? this.#probes + 1 : 1;
    this.online = false;
    this.#lastAnswerAt = undefined;
    this.#intervalMs = undefined;
    this.probeAt = now + Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.min(this.#probes - 1, 30));
    const news = !wasOffline || reason !== this.reason;
    this.reason = reason;
    return news;
  }

  /** Polls per second lately, or before two polls the most the wire allows in a cycle of `cycleMs`. */
  rateHz(cycleMs: number): number {
    if (this.online !== true) return 0;
    if (this.#intervalMs !== undefined && this.#intervalMs > 0) return 1000 / this.#intervalMs;
    return 1000 / Math.max(cycleMs, this.wireMs);
  }
}

/** The reason a run of failures gives a technician: the last kind, and how often it happened. */
export function describeFailures(address: number, failures: readonly Failure[]): string {
  const last = failures[failures.length - 1] as Failure;
  const same = (f: Failure) =>
    f.kind === last.kind && (f.kind !== 'exception' || last.kind !== 'exception' || f.code === last.code);
  const times = failures.filter(same).length;
  const suffix = times > 1 ? ` x${times}` : '';
  if (last.kind === 'timeout') return `address ${address} not answering (timeout)`;
  if (last.kind === 'badCrc') return `address ${address}: bad CRC${suffix}`;
  if (last.kind === 'truncated') return `address ${address}: reply cut short${suffix}`;
  return `address ${address}: ${describeException(last.code)}${suffix}`;
}
