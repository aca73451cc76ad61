// A scanner in USB keyboard mode ("keyboard wedge") types each code as key presses ending with Enter.
// Its input reports are boot-keyboard reports (Device Class Definition for HID 1.11, Appendix B.1):
// a modifier byte, a reserved byte and six key slots, after a report id when the interface numbers
// its reports. A key counts when it appears in a report and was not in the previous one, so a held
// key is one character and a press/release pair is one too. Pure: reports in, scans out; the USB
// side (node-hid) lives in the adapter.
import { HidCode, type HidScan, type HidScanStats, type HidTrouble } from './hid-code.js';
import { type KeyboardLayout, keyboardLayout } from './hid-keyboard-layouts.js';
import type { HidKeyboardProfile } from './hid-profile.js';

export interface HidKeyboardStats extends HidScanStats {
  /** Key presses with no character in the layout (function keys, arrows, Ctrl or Alt combinations). */
  unknownKeys: number;
  /** Reports in the "phantom state" (too many keys at once): ignored, as HID 1.11 Appendix C asks. */
  rolloverErrors: number;
}

export interface HidKeyboardDecoderOptions {
  profile: HidKeyboardProfile;
  /** Called with each code, usable or not, as its terminator arrives. */
  onScan: (scan: HidScan) => void;
  /** Called with trouble worth a log line; never with what the scanner read. */
  onTrouble?: ((trouble: HidTrouble) => void) | undefined;
}

const KEYS = 6;
const ENTER = 0x28;
const TAB = 0x2b;
const KEYPAD_ENTER = 0x58;
/** ErrorRollOver, POSTFail, ErrorUndefined: not keys but the keyboard saying its report is not real. */
const LAST_ERROR_CODE = 0x03;
/** Left Control (0xE0) to Right GUI (0xE7): some keyboards list modifiers as keys too. */
const FIRST_MODIFIER_KEY = 0xe0;

// Modifier byte bits (HID 1.11 §8.3): Ctrl, Alt and GUI make a key a command, not a character.
const CTRL_ALT_GUI = 0x01 | 0x04 | 0x08 | 0x10 | 0x80;
const SHIFT = 0x02 | 0x20;
const RIGHT_ALT = 0x40;

export class HidKeyboardDecoder {
  readonly #layout: KeyboardLayout;
  readonly #code: HidCode;
  /** 0 for boot reports, 1 when a report id comes first. */
  readonly #offset: number;
  readonly #reportId: number | undefined;
  readonly #reportBytes: number;
  readonly #tabEnds: boolean;
  readonly #timeoutMs: number;
  /** The keys down in the last report; a key already down is no new press. */
  readonly #down = new Uint8Array(KEYS);
  #unknownKeys = 0;
  #rolloverErrors = 0;

  constructor(options: HidKeyboardDecoderOptions) {
    const { profile } = options;
    this.#layout = keyboardLayout(profile.layout);
    this.#reportId = profile.reportId;
    this.#offset = profile.reportId === undefined ? 0 : 1;
    this.#reportBytes = this.#offset + 2 + KEYS;
    this.#tabEnds = profile.terminator === 'enter-or-tab';
    this.#timeoutMs = profile.interReportTimeoutMs;
    this.#code = new HidCode({
      maxCodeBytes: profile.maxCodeBytes,
      interReportTimeoutMs: profile.interReportTimeoutMs,
      onScan: options.onScan,
      onTrouble: options.onTrouble,
      binaryHint: `is the scanner set to the "${profile.layout}" keyboard layout, with no prefix or suffix but Enter?`,
    });
  }

  /** Takes one input report as read from the device, received at `at` (ms since the epoch). */
  decode(report: Uint8Array, at: number): void {
    const code = this.#code;
    code.counts.reports++;
    if (this.#reportId !== undefined && report.length > 0 && report[0] !== this.#reportId) {
      code.otherReport(
        `a report with id ${report[0]} is not the keyboard report (id ${this.#reportId}): ignored`,
      );
      return;
    }
    if (report.length !== this.#reportBytes) {
      this.#broken(`a report of ${report.length} bytes where a keyboard report has ${this.#reportBytes}`);
      return;
    }
    const first = this.#offset + 2;
    const firstKey = report[first] as number;
    if (firstKey !== 0 && firstKey <= LAST_ERROR_CODE) {
      // Keys are unknown while it lasts; the report after it says which are down.
      this.#rolloverErrors++;
      return;
    }
    if (code.isStale(at)) this.#dropStale();
    code.touch(at);
    const modifiers = report[this.#offset] as number;
    const down = this.#down;
    for (let i = 0; i < KEYS; i++) {
      const key = report[first + i] as number;
      if (key === 0) continue;
      if (
        key !== down[0] &&
        key !== down[1] &&
        key !== down[2] &&
        key !== down[3] &&
        key !== down[4] &&
        key !== down[5]
      )
        this.#press(key, modifiers, at);
    }
    for (let i = 0; i < KEYS; i++) down[i] = report[first + i] as number;
  }

  /** Drops a code whose next report is overdue at `now`; the adapter calls it when `staleAt` passes. */
  expire(now: number): void {
    if (this.#code.isStale(now)) this.#dropStale();
  }

  /** Forgets the code under way and the keys down, as when the device is opened again. */
  reset(): void {
    this.#code.clear();
    this.#down.fill(0);
  }

  /** When the code under way goes stale unless another report comes; undefined when none is. */
  get staleAt(): number | undefined {
    return this.#code.staleAt;
  }

  get stats(): Readonly<HidKeyboardStats> {
    return {
      ...this.#code.counts,
      pendingBytes: this.#code.length,
      unknownKeys: this.#unknownKeys,
      rolloverErrors: this.#rolloverErrors,
    };
  }

  #press(key: number, modifiers: number, at: number): void {
    const code = this.#code;
    if (key === ENTER || key === KEYPAD_ENTER || (key === TAB && this.#tabEnds)) {
      code.end(at);
      return;
    }
    if (key >= FIRST_MODIFIER_KEY) return;
    const layout = this.#layout;
    const char =
      (modifiers & CTRL_ALT_GUI) !== 0
        ? 0
        : (modifiers & RIGHT_ALT) !== 0
          ? (layout.altGr[key] as number)
          : (modifiers & SHIFT) !== 0
            ? (layout.shifted[key] as number)
            : (layout.plain[key] as number);
    if (char === 0) {
      this.#unknownKeys++;
      code.markBinary();
    } else code.push(char);
  }

  /** A report that cannot be a keyboard report: counted, and the code it may have belonged to dropped. */
  #broken(what: string): void {
    const code = this.#code;
    code.malformed(`${what}: dropped`);
    if (code.started) code.drop(`${what} cut a code short: the code was dropped`);
  }

  #dropStale(): void {
    this.#code.drop(
      `a partial code got no further key within ${this.#timeoutMs} ms and was dropped (does the scanner end codes with Enter?)`,
    );
  }
}
