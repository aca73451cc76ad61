// The code a HID scanner is sending, assembled report by report under the serial scanner's rules:
// bounded by maxCodeBytes (one too_long scan, then nothing until the code ends), binary when a
// character no token has arrives, empty when the end comes alone, dropped when its next report is
// too late. Both HID decoders share it, so a scan means the same whatever mode the scanner is in.
import { Secret } from '../../system/secret.js';
import type { Scan, ScanProblem } from './port.js';

/** A scan from a HID scanner: what the serial scanner gives, and the symbology when the scanner said it. */
export interface HidScan extends Scan {
  /** The AIM symbology identifier without its "]", e.g. "Q1" for a QR Code (ISO/IEC 15424). */
  symbology?: string;
  /** The vendor's own one-character symbology code (Honeywell "Code ID", Newland "Code ID"), when sent. */
  vendorSymbology?: string;
}

/** What the scanner sent since the decoder started, for diagnostics. */
export interface HidScanStats {
  /** Every report handed to the decoder, good or bad. */
  reports: number;
  /** Usable codes delivered. */
  codes: number;
  tooLong: number;
  binary: number;
  empty: number;
  /** Unfinished codes dropped: the next report came too late, or a broken report cut them. */
  droppedPartials: number;
  /** Reports that cannot be the profile's: wrong size, or a length field beyond the report. */
  malformed: number;
  /** Reports with another report id (another interface of a composite device): ignored. */
  otherReports: number;
  /** Characters of the code being received now; never above the profile's maxCodeBytes. */
  pendingBytes: number;
}

/** Trouble worth a (rate-limited) log line. Its message never quotes what the scanner read. */
export interface HidTrouble {
  kind: 'too_long' | 'binary' | 'partial' | 'malformed' | 'other_report';
  message: string;
}

export interface HidCodeOptions {
  maxCodeBytes: number;
  interReportTimeoutMs: number;
  onScan: (scan: HidScan) => void;
  onTrouble?: ((trouble: HidTrouble) => void) | undefined;
  /** Said when a binary read is delivered: the likeliest cause for this kind of scanner. */
  binaryHint: string;
}

const BRACKET = 0x5d;
// The code's characters are UTF-16 code units (bytes, or a layout's characters, none a surrogate).
// On a little-endian host (every one Node runs on here) the buffer is UTF-16LE, decoded natively,
// several times faster than spreading the units into String.fromCharCode.
const UTF16 = new TextDecoder('utf-16le');
const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const text: (units: Uint16Array) => string = littleEndian
  ? (units) => UTF16.decode(units)
  : /* c8 ignore next -- big-endian hosts (s390x) only */
    (units) => String.fromCharCode.apply(null, units as unknown as number[]);

export class HidCode {
  readonly counts: Omit<HidScanStats, 'pendingBytes'> = {
    reports: 0,
    codes: 0,
    tooLong: 0,
    binary: 0,
    empty: 0,
    droppedPartials: 0,
    malformed: 0,
    otherReports: 0,
  };
  readonly #options: HidCodeOptions;
  // Allocated once: a scanner flooding reports cannot grow it.
  readonly #chars: Uint16Array;
  #length = 0;
  #binary = false;
  /** An overlong read, already reported: its characters are dropped until it ends. */
  #overflow = false;
  /** A code is under way: something arrived for it, or a report said more follows. */
  #started = false;
  #lastAt = 0;

  constructor(options: HidCodeOptions) {
    this.#options = options;
    this.#chars = new Uint16Array(options.maxCodeBytes);
  }

  get length(): number {
    return this.#length;
  }

  get started(): boolean {
    return this.#started;
  }

  /** When the last report from the scanner arrived. */
  get lastAt(): number {
    return this.#lastAt;
  }

  /** When the code under way goes stale unless another report comes; undefined when none is. */
  get staleAt(): number | undefined {
    return this.#started ? this.#lastAt + this.#options.interReportTimeoutMs : undefined;
  }

  /** Whether the code under way waited longer than the profile allows for its next report. */
  isStale(at: number): boolean {
    return this.#started && at - this.#lastAt >= this.#options.interReportTimeoutMs;
  }

  /** A report from the scanner arrived at `at`: the code under way, if any, is not stale. */
  touch(at: number): void {
    this.#lastAt = at;
  }

  /** The report said more follows: a code is under way even if this report carried nothing. */
  expectMore(): void {
    this.#started = true;
  }

  push(char: number): void {
    this.#started = true;
    if (this.#overflow) return;
    if (this.#length === this.#chars.length) {
      this.#overflowNow();
      return;
    }
    if (char < 0x20 || char > 0x7e) this.#binary = true;
    this.#chars[this.#length++] = char;
  }

  /** Appends `count` bytes of `bytes` from `start`: one loop, no copies beyond the code's own buffer. */
  pushBytes(bytes: Uint8Array, start: number, count: number): void {
    if (count > 0) this.#started = true;
    if (this.#overflow) return;
    const chars = this.#chars;
    const room = chars.length - this.#length;
    const take = Math.min(count, room);
    let length = this.#length;
    let binary = this.#binary;
    for (let i = start, end = start + take; i < end; i++) {
      const byte = bytes[i] as number;
      if (byte < 0x20 || byte > 0x7e) binary = true;
      chars[length++] = byte;
    }
    this.#length = length;
    this.#binary = binary;
    if (take < count) this.#overflowNow();
  }

  /** A key or byte with no character a code can hold: the code is reported as binary. */
  markBinary(): void {
    this.#started = true;
    this.#binary = true;
  }

  /**
   * The code ended at `at`: delivers it with its problem, if any, and starts the next. With
   * `aimPrefix`, a leading "]xy" is the symbology, not the code.
   */
  end(at: number, symbology?: string, vendorSymbology?: string, aimPrefix = false): void {
    if (this.#overflow) {
      this.#reset();
      return;
    }
    let skip = 0;
    if (aimPrefix && this.#length >= 3 && this.#chars[0] === BRACKET) {
      symbology = String.fromCharCode(this.#chars[1] as number, this.#chars[2] as number);
      skip = 3;
    }
    if (this.#length === skip && !this.#binary) this.#deliver(at, 'empty', skip, symbology, vendorSymbology);
    else this.#deliver(at, this.#binary ? 'binary' : undefined, skip, symbology, vendorSymbology);
  }

  /** The code under way will not be finished: forgotten, and counted unless already reported. */
  drop(message: string): void {
    if (!this.#overflow) {
      this.counts.droppedPartials++;
      this.#trouble('partial', message);
    }
    this.#reset();
  }

  /** Forgets the code under way without a word, as when the device is opened again. */
  clear(): void {
    this.#reset();
  }

  malformed(message: string): void {
    this.counts.malformed++;
    this.#trouble('malformed', message);
  }

  otherReport(message: string): void {
    this.counts.otherReports++;
    this.#trouble('other_report', message);
  }

  #overflowNow(): void {
    // Reported now, not at the code's end: a scanner that never ends it is still heard.
    this.#deliver(this.#lastAt, 'too_long', 0, undefined, undefined);
    this.#overflow = true;
    this.#started = true;
  }

  #deliver(
    at: number,
    problem: ScanProblem | undefined,
    skip: number,
    symbology: string | undefined,
    vendorSymbology: string | undefined,
  ): void {
    const scan: HidScan = { credential: new Secret(text(this.#chars.subarray(skip, this.#length))), at };
    if (problem) scan.problem = problem;
    if (symbology !== undefined) scan.symbology = symbology;
    if (vendorSymbology !== undefined) scan.vendorSymbology = vendorSymbology;
    this.#reset();
    if (problem === 'too_long') {
      this.counts.tooLong++;
      this.#trouble(
        'too_long',
        `a read longer than ${this.#options.maxCodeBytes} bytes (maxCodeBytes) is no code: reported as too_long`,
      );
    } else if (problem === 'binary') {
      this.counts.binary++;
      this.#trouble(
        'binary',
        `a read with characters outside printable ASCII is no code: reported as binary (${this.#options.binaryHint})`,
      );
    } else if (problem === 'empty') this.counts.empty++;
    else this.counts.codes++;
    this.#options.onScan(scan);
  }

  #reset(): void {
    this.#length = 0;
    this.#binary = false;
    this.#overflow = false;
    this.#started = false;
  }

  #trouble(kind: HidTrouble['kind'], message: string): void {
    this.#options.onTrouble?.({ kind, message });
  }
}
