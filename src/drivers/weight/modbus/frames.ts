// Modbus RTU frames as the hub (the master) sends and receives them: requests built byte-exact, and
// replies picked out of a byte stream that may also carry noise or the late reply to an earlier
// request. Only the four functions a load-cell module needs.
import { crc16, crcMatches } from './crc.js';

export type ReadFunction = 0x03 | 0x04;
export const READ_HOLDING = 0x03;
export const READ_INPUT = 0x04;
export const WRITE_SINGLE = 0x06;
export const WRITE_MULTIPLE = 0x10;

/** Most registers one read may ask for: the reply must fit the 256-byte RTU frame. */
export const MAX_READ_REGISTERS = 125;
/** Most registers one 0x10 write may carry. */
export const MAX_WRITE_REGISTERS = 123;

const exceptionNames: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'device failure',
  5: 'acknowledge',
  6: 'device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target failed to respond',
};

/** A Modbus exception code in words: "exception 2 (illegal data address)". */
export function describeException(code: number): string {
  const name = exceptionNames[code];
  return name ? `exception ${code} (${name})` : `exception ${code}`;
}

/** Reads `count` registers from `start` with 0x03 (holding) or 0x04 (input). */
export function readRegisters(address: number, fn: ReadFunction, start: number, count: number): Uint8Array {
  checkAddress(address);
  checkWord('start register', start);
  if (!Number.isInteger(count) || count < 1 || count > MAX_READ_REGISTERS || start + count > 0x10000)
    throw new RangeError(`cannot read ${count} registers from ${start}`);
  return seal([address, fn, start >> 8, start & 0xff, count >> 8, count & 0xff]);
}

/** Writes one register with 0x06; the module echoes the request. */
export function writeRegister(address: number, register: number, value: number): Uint8Array {
  checkAddress(address);
  checkWord('register', register);
  checkWord('value', value);
  return seal([address, WRITE_SINGLE, register >> 8, register & 0xff, value >> 8, value & 0xff]);
}

/** Writes consecutive registers from `start` with 0x10; the module answers with start and count. */
export function writeRegisters(address: number, start: number, values: readonly number[]): Uint8Array {
  checkAddress(address);
  checkWord('start register', start);
  const count = values.length;
  if (count < 1 || count > MAX_WRITE_REGISTERS || start + count > 0x10000)
    throw new RangeError(`cannot write ${count} registers from ${start}`);
  const body = [address, WRITE_MULTIPLE, start >> 8, start & 0xff, count >> 8, count & 0xff, count * 2];
  for (const value of values) {
    checkWord('value', value);
    body.push(value >> 8, value & 0xff);
  }
  return seal(body);
}

/** What the reply to a request must look like: its first bytes, and its length with the CRC. */
export interface ReplyShape {
  readonly prefix: Uint8Array;
  readonly length: number;
}

/** The shape of the good reply to `request`, one of the frames built above. */
export function replyShape(request: Uint8Array): ReplyShape {
  const fn = request[1];
  if (fn === READ_HOLDING || fn === READ_INPUT) {
    const count = ((request[4] as number) << 8) | (request[5] as number);
    return { prefix: Uint8Array.of(request[0] as number, fn, count * 2), length: 5 + count * 2 };
  }
  if (fn === WRITE_SINGLE || fn === WRITE_MULTIPLE) return { prefix: request.subarray(0, 6), length: 8 };
  throw new RangeError(`no reply shape for function ${fn}`);
}

/** The registers a good read reply carries, each a big-endian 16-bit word. */
export function registersOf(frame: Uint8Array): Uint16Array {
  const words = new Uint16Array(((frame[2] as number) / 2) | 0);
  for (let i = 0; i < words.length; i++)
    words[i] = ((frame[3 + 2 * i] as number) << 8) | (frame[4 + 2 * i] as number);
  return words;
}

export type ReplyOutcome =
  | { kind: 'reply'; frame: Uint8Array }
  | { kind: 'exception'; code: number }
  | { kind: 'badCrc' };

/**
 * Finds the reply to one request in the bytes that follow it. Bytes that cannot start that reply
 * (noise, the late answer to an earlier request) are skipped one at a time, so a good reply behind
 * them is still found. A frame of the right shape whose CRC fails ends the exchange at once when
 * nothing preceded it; behind skipped bytes it may be a misaligned guess, so scanning goes on.
 */
export class ReplyReader {
  readonly #shape: ReplyShape;
  #held = new Uint8Array(0);
  #skipped = 0;
  #sawBadCrc = false;
  #done = false;

  constructor(shape: ReplyShape) {
    this.#shape = shape;
  }

  /** Bytes dropped as not part of the reply. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Bytes kept that begin a reply of the right shape, not yet complete. */
  get held(): number {
    return this.#held.length;
  }

  /** Whether a frame of the right shape with a wrong CRC was seen and passed over. */
  get sawBadCrc(): boolean {
    return this.#sawBadCrc;
  }

  /** Takes the next bytes; returns the outcome once the reply is complete, and ignores bytes after it. */
  push(chunk: Uint8Array): ReplyOutcome | undefined {
    if (this.#done) {
      this.#skipped += chunk.length;
      return undefined;
    }
    const buf = new Uint8Array(this.#held.length + chunk.length);
    buf.set(this.#held);
    buf.set(chunk, this.#held.length);
    // The first start of a reply still incomplete; a complete one further on may yet be the answer.
    let keepFrom = -1;
    // A wrong CRC on the first bytes of the exchange: a corrupted answer, unless a good one follows.
    let corrupted = false;
    for (let at = 0; at < buf.length; at++) {
      const length = this.#candidateLength(buf, at);
      if (length === 0) continue;
      if (at + length > buf.length) {
        if (keepFrom < 0) keepFrom = at;
        continue;
      }
      const outcome = this.#judge(buf, at, length);
      if (outcome) return this.#end(outcome, buf.length - length);
      if (at === 0 && this.#skipped === 0) corrupted = true;
      else this.#sawBadCrc = true;
    }
    if (corrupted) return this.#end({ kind: 'badCrc' }, buf.length);
    if (keepFrom < 0) keepFrom = buf.length;
    this.#skipped += keepFrom;
    this.#held = buf.slice(keepFrom);
    return undefined;
  }

  #end(outcome: ReplyOutcome, skipped: number): ReplyOutcome {
    this.#done = true;
    this.#skipped += skipped;
    this.#held = new Uint8Array(0);
    return outcome;
  }

  /** The length of the frame that may start at `at`, so far as its first bytes tell; 0 if none can. */
  #candidateLength(buf: Uint8Array, at: number): number {
    const { prefix, length } = this.#shape;
    if (buf[at] !== prefix[0]) return 0;
    if (at + 1 >= buf.length) return length;
    if (buf[at + 1] === ((prefix[1] as number) | 0x80)) return 5;
    const end = Math.min(buf.length - at, prefix.length);
    for (let i = 1; i < end; i++) if (buf[at + i] !== prefix[i]) return 0;
    return length;
  }

  /** The reply or exception at `at` if its CRC is right. */
  #judge(buf: Uint8Array, at: number, length: number): ReplyOutcome | undefined {
    if (!crcMatches(buf, at, at + length)) return undefined;
    const frame = buf.slice(at, at + length);
    return length === 5 && frame[1] !== this.#shape.prefix[1]
      ? { kind: 'exception', code: frame[2] as number }
      : { kind: 'reply', frame };
  }
}

function seal(body: number[]): Uint8Array {
  const frame = new Uint8Array(body.length + 2);
  frame.set(body);
  const crc = crc16(frame, 0, body.length);
  frame[body.length] = crc & 0xff;
  frame[body.length + 1] = crc >>> 8;
  return frame;
}

function checkAddress(address: number): void {
  if (!Number.isInteger(address) || address < 1 || address > 247)
    throw new RangeError(`Modbus address must be 1-247, not ${address}`);
}

function checkWord(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff)
    throw new RangeError(`${what} must be 0-65535, not ${value}`);
}
