// What one poll of a module reads, and how the registers it gets back become one sample: as few
// reads as the register map allows (one when the channels and the status register are contiguous),
// values decoded by type and word order, scaled, and faults turned into NaN.
import type { BusCounters } from '../port.js';
import { MAX_READ_REGISTERS, type ReadFunction } from './frames.js';
import { type ModbusProfile, registersPerValue } from './profile.js';

/** One read request of a poll. */
export interface RegisterRead {
  readonly fn: ReadFunction;
  readonly start: number;
  readonly count: number;
}

/** Where a value sits in a poll's replies: which read, and which register of it. */
interface Place {
  read: number;
  offset: number;
}

interface Span {
  fn: ReadFunction;
  start: number;
  count: number;
  /** Channel index, or -1 for the status register. */
  tag: number;
}

/** Turns a module's registers into samples, as its profile says. */
export class SampleDecoder {
  readonly reads: readonly RegisterRead[];
  readonly #profile: ModbusProfile;
  readonly #channelAt: Place[];
  readonly #statusAt: Place | undefined;
  readonly #float = new DataView(new ArrayBuffer(4));

  constructor(profile: ModbusProfile) {
    this.#profile = profile;
    const { registers, channels, status } = profile;
    const width = registersPerValue[registers.type];
    const spans: Span[] = [];
    for (let c = 0; c < channels; c++) {
      const start = registers.addresses?.[c] ?? (registers.start as number) + c * width;
      spans.push({ fn: registers.function, start, count: width, tag: c });
    }
    if (status) spans.push({ fn: status.function, start: status.register, count: 1, tag: -1 });
    spans.sort((a, b) => a.fn - b.fn || a.start - b.start);

    const reads: RegisterRead[] = [];
    const places = new Map<number, Place>();
    let open: { fn: ReadFunction; start: number; end: number } | undefined;
    for (const span of spans) {
      const end = span.start + span.count;
      // Only touching or overlapping spans share a read: registers in a gap may not exist on the module.
      if (
        open &&
        open.fn === span.fn &&
        span.start <= open.end &&
        Math.max(open.end, end) - open.start <= MAX_READ_REGISTERS
      )
        open.end = Math.max(open.end, end);
      else {
        if (open) reads.push({ fn: open.fn, start: open.start, count: open.end - open.start });
        open = { fn: span.fn, start: span.start, end };
      }
      places.set(span.tag, { read: reads.length, offset: span.start - open.start });
    }
    if (open) reads.push({ fn: open.fn, start: open.start, count: open.end - open.start });
    this.reads = reads;
    this.#channelAt = Array.from({ length: channels }, (_, c) => places.get(c) as Place);
    this.#statusAt = places.get(-1);
  }

  /**
   * One sample from the registers of each read, in `reads` order. A channel whose value is NaN,
   * infinite, outside the range or flagged overloaded counts as outOfRange, one flagged with an ADC
   * error as a deviceError; either way it reads NaN.
   */
  decode(words: readonly Uint16Array[], counters: BusCounters): Float32Array {
    const { channels, scale, range, status } = this.#profile;
    const statusWord = this.#statusAt ? this.#word(words, this.#statusAt, 0) : 0;
    const values = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const value = this.#raw(words, this.#channelAt[c] as Place) * scale;
      if (status && flagged(statusWord, status.adcErrorBits, c)) {
        counters.deviceErrors++;
        values[c] = Number.NaN;
      } else if (
        !(value >= range.min && value <= range.max) ||
        (status !== undefined && flagged(statusWord, status.overloadBits, c))
      ) {
        counters.outOfRange++;
        values[c] = Number.NaN;
      } else values[c] = value;
    }
    return values;
  }

  #raw(words: readonly Uint16Array[], at: Place): number {
    const { type, wordOrder } = this.#profile.registers;
    const first = this.#word(words, at, 0);
    if (type === 'uint16') return first;
    if (type === 'int16') return first > 0x7fff ? first - 0x10000 : first;
    const second = this.#word(words, at, 1);
    const [high, low] = wordOrder === 'big' ? [first, second] : [second, first];
    if (type === 'uint32') return high * 0x10000 + low;
    if (type === 'int32') return ((high << 16) | low) >> 0;
    this.#float.setUint16(0, high);
    this.#float.setUint16(2, low);
    return this.#float.getFloat32(0);
  }

  #word(words: readonly Uint16Array[], at: Place, next: number): number {
    return (words[at.read] as Uint16Array)[at.offset + next] as number;
  }
}

function flagged(word: number, bits: readonly number[] | undefined, channel: number): boolean {
  if (!bits) return false;
  const bit = bits.length === 1 ? bits[0] : bits[channel];
  return ((word >> (bit as number)) & 1) === 1;
}
