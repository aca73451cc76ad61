// A QR scanner in USB-CDC ("virtual COM port") mode, or RS-232 behind an adapter: one line per code.
// The byte stream is cut into codes at the profile's terminator whatever the USB packet boundaries;
// a read no token can be (binary, overlong, empty) still arrives, as a scan with a problem, so the
// gate can ask for another scan. Memory stays bounded whatever the scanner sends.
import type { Clock, TimerHandle } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import { Secret } from '../../system/secret.js';
import { Listeners } from '../listeners.js';
import { openSerialPort } from '../serial/serialport.js';
import type { OpenSerial, SerialTransport } from '../serial/transport.js';
import { QuietLog } from '../weight/quiet-log.js';
import { serialSettings } from '../weight/serial-profile.js';
import type { Scan, ScannerLink, ScanProblem } from './port.js';
import type { ScannerProfile } from './serial-profile.js';

export interface SerialScannerOptions {
  /** The scanner's id from the configuration. */
  id: string;
  /** Its port; prefer /dev/serial/by-id/usb-…, which survives a re-plug. */
  path: string;
  profile: ScannerProfile;
  /** Overrides the profile's baud rate, for a scanner programmed to another speed. */
  baudRate?: number | undefined;
  clock: Clock;
  /** Opens the port: the real serial adapter unless a test gives a pty or a fake. */
  openSerial?: OpenSerial | undefined;
  /** Where trouble is told, at most once a minute per kind and never with a code's content. */
  log?: Logger | undefined;
}

/** What the scanner sent since the hub started, for diagnostics. */
export interface SerialScannerStats {
  /** Usable codes delivered. */
  codes: number;
  tooLong: number;
  binary: number;
  empty: number;
  /** Partial codes dropped because their terminator did not follow within interByteTimeoutMs. */
  droppedPartials: number;
  /** Bytes of the code being received now; never above the profile's maxCodeBytes. */
  pendingBytes: number;
}

const CR = 0x0d;
const LF = 0x0a;
const SUFFIX_NAMES = { cr: 'CR', lf: 'LF', crlf: 'CR LF', any: 'CR or LF' } as const;

// Said when the port does not exist: the commonest reason at a new install.
const HID_HINT =
  'a scanner in USB keyboard or HID POS mode has no serial port: configure it with driver "hid", or scan the "USB COM port emulation" (USB-CDC) code from its manual';

export class SerialScanner implements ScannerLink {
  readonly id: string;
  readonly #profile: ScannerProfile;
  readonly #clock: Clock;
  readonly #log: QuietLog | undefined;
  readonly #transport: SerialTransport;
  readonly #data = new Listeners<Scan>();
  readonly #lost = new Listeners<string>();
  readonly #stats = { codes: 0, tooLong: 0, binary: 0, empty: 0, droppedPartials: 0 };
  #open = false;

  // The code being received. Allocated once: a scanner flooding bytes cannot grow it.
  readonly #code: Buffer;
  #length = 0;
  #binary = false;
  /** An overlong read, already reported: bytes are dropped until its terminator. */
  #overflow = false;
  /** terminator crlf: a CR that is a terminator only if LF comes next. */
  #heldCR = false;
  /** terminator any: the last byte was a CR, so an LF right after it ends nothing. */
  #afterCR = false;
  /** When the chunk being read arrived; read from the clock once per chunk, when needed. */
  #chunkAt: number | undefined;
  #lastByteAt = 0;
  #staleTimer: TimerHandle | undefined;

  constructor(options: SerialScannerOptions) {
    this.id = options.id;
    this.#profile = options.profile;
    this.#clock = options.clock;
    this.#log = options.log && new QuietLog(options.log.child({ scanner: options.id }), options.clock);
    this.#code = Buffer.alloc(options.profile.maxCodeBytes);
    const openSerial = options.openSerial ?? openSerialPort;
    const settings = serialSettings(options.path, options.profile.serial, { baudRate: options.baudRate });
    this.#transport = openSerial(settings);
    this.#transport.onData((chunk) => this.#receive(chunk));
    this.#transport.onLost((reason) => this.#lose(reason));
  }

  /** Opens the port; rejects with what a technician should check. A half-read code from before is forgotten. */
  async open(): Promise<void> {
    if (this.#open) return;
    this.#reset();
    this.#afterCR = false;
    try {
      await this.#transport.open();
    } catch (err) {
      throw new Error(openFailure(err));
    }
    this.#open = true;
  }

  async close(): Promise<void> {
    this.#stop();
    try {
      await this.#transport.close();
    } catch {
      // close never rejects (DeviceLink); a transport that does has nothing left to tell.
    }
  }

  onData(listener: (scan: Scan) => void): () => void {
    return this.#data.add(listener);
  }

  onLost(listener: (reason: string) => void): () => void {
    return this.#lost.add(listener);
  }
  onPresence(listener: (present: boolean) => void): () => void {
    return this.#transport.onPresence?.(listener) ?? (() => {});
  }

  get stats(): Readonly<SerialScannerStats> {
    return { ...this.#stats, pendingBytes: this.#length };
  }

  #stop(): void {
    this.#open = false;
    this.#disarm();
  }

  #lose(reason: string): void {
    if (!this.#open) return;
    this.#stop();
    this.#lost.emit(reason);
  }

  #receive(chunk: Uint8Array): void {
    if (!this.#open) return;
    this.#chunkAt = undefined;
    // A listener may close the link; what follows in the chunk is then no longer anyone's.
    for (let i = 0; i < chunk.length && this.#open; i++) this.#feed(chunk[i] as number);
    if (this.#open) this.#watchPartial();
  }

  #feed(byte: number): void {
    const role = this.#roleOf(byte);
    if (role === 'end') this.#end();
    else if (role === 'code') this.#append(byte);
  }

  /** What `byte` is under the profile's terminator: a code's end, part of the code, or neither. */
  #roleOf(byte: number): 'end' | 'code' | 'neither' {
    switch (this.#profile.terminator) {
      case 'cr':
        return byte === CR ? 'end' : 'code';
      case 'lf':
        return byte === LF ? 'end' : 'code';
      case 'any': {
        const afterCR = this.#afterCR;
        this.#afterCR = byte === CR;
        if (byte === LF && afterCR) return 'neither';
        return byte === CR || byte === LF ? 'end' : 'code';
      }
      case 'crlf':
        if (this.#heldCR) {
          this.#heldCR = false;
          if (byte === LF) return 'end';
          this.#append(CR);
        }
        this.#heldCR = byte === CR;
        return byte === CR ? 'neither' : 'code';
    }
  }

  #append(byte: number): void {
    if (this.#overflow) return;
    if (this.#length === this.#code.length) {
      // Reported now, not at the terminator: a scanner that never sends one is still heard.
      this.#deliver('too_long');
      this.#overflow = true;
      return;
    }
    if (byte < 0x20 || byte > 0x7e) this.#binary = true;
    this.#code[this.#length++] = byte;
  }

  #end(): void {
    if (this.#overflow) this.#reset();
    else if (this.#length === 0) this.#deliver('empty');
    else this.#deliver(this.#binary ? 'binary' : undefined);
  }

  /** Hands the code read so far to the listeners, counted, and starts the next. */
  #deliver(problem: ScanProblem | undefined): void {
    this.#chunkAt ??= this.#clock.now();
    const scan: Scan = {
      credential: new Secret(this.#code.toString('latin1', 0, this.#length)),
      at: this.#chunkAt,
    };
    if (problem) scan.problem = problem;
    this.#reset();
    if (problem === 'too_long') {
      this.#stats.tooLong++;
      this.#warn(
        'too_long',
        `a read longer than ${this.#profile.maxCodeBytes} bytes (maxCodeBytes) is no code: reported as too_long`,
      );
    } else if (problem === 'binary') {
      this.#stats.binary++;
      this.#warn(
        'binary',
        'a read with bytes outside printable ASCII is no code: reported as binary (is the scanner set to send a prefix, or another suffix than the profile says?)',
      );
    } else if (problem === 'empty') this.#stats.empty++;
    else this.#stats.codes++;
    this.#data.emit(scan, () => this.#open);
  }

  #reset(): void {
    this.#length = 0;
    this.#binary = false;
    this.#overflow = false;
    this.#heldCR = false;
  }

  get #partial(): boolean {
    return this.#length > 0 || this.#overflow || this.#heldCR;
  }

  /** Keeps one timer while a code is unfinished; it re-arms itself until the line is quiet long enough. */
  #watchPartial(): void {
    const timeoutMs = this.#profile.interByteTimeoutMs;
    if (timeoutMs === undefined) return;
    if (!this.#partial) {
      this.#disarm();
      return;
    }
    this.#lastByteAt = this.#chunkAt ?? this.#clock.now();
    this.#staleTimer ??= this.#clock.setTimeout(() => this.#checkStale(timeoutMs), timeoutMs);
  }

  #checkStale(timeoutMs: number): void {
    // Runs only while open with a code unfinished: closing and finishing a code both disarm it.
    this.#staleTimer = undefined;
    const quietMs = this.#clock.now() - this.#lastByteAt;
    if (quietMs < timeoutMs) {
      this.#staleTimer = this.#clock.setTimeout(() => this.#checkStale(timeoutMs), timeoutMs - quietMs);
      return;
    }
    // An overlong read was already reported; only its end was missing.
    if (!this.#overflow) {
      this.#stats.droppedPartials++;
      this.#warn(
        'partial',
        `a partial code got no terminator within ${timeoutMs} ms and was dropped (is the scanner's suffix ${SUFFIX_NAMES[this.#profile.terminator]}?)`,
      );
    }
    this.#reset();
  }

  #disarm(): void {
    if (this.#staleTimer === undefined) return;
    this.#clock.clearTimeout(this.#staleTimer);
    this.#staleTimer = undefined;
  }

  #warn(kind: string, message: string): void {
    this.#log?.warn(kind, { problem: kind, stats: this.stats }, message);
  }
}

/** The transport's reason (already in a technician's words), with the scanner's commonest cause added. */
function openFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /no serial port at|no such file|ENOENT|no such device|ENODEV/i.test(message)
    ? `${message}; ${HID_HINT}`
    : message;
}
