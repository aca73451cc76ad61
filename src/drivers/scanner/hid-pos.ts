// A scanner in HID POS mode (USB usage page 0x8C, "Bar Code Scanner") sends each code as 64-byte
// scanned-data reports: a report id, a length, up to 56 or 62 data bytes, and (in two of the three
// published formats) a "decoded data continued" flag when a code spans reports. The vendors differ
// in where the symbology goes, so the profile names the format; see hid-profile.ts for who uses which.
// Pure: reports in, scans out; the USB side (node-hid) lives in the adapter.
import { HidCode, type HidScan, type HidScanStats, type HidTrouble } from './hid-code.js';
import type { HidPosProfile, PosReportFormat } from './hid-profile.js';

export interface HidPosDecoderOptions {
  profile: HidPosProfile;
  /** Called with each code, usable or not, as its last report arrives. */
  onScan: (scan: HidScan) => void;
  /** Called with trouble worth a log line; never with what the scanner read. */
  onTrouble?: ((trouble: HidTrouble) => void) | undefined;
}

/** Where each format keeps its fields, as byte offsets in the report (the report id is byte 0). */
interface ReportFormat {
  reportId: number;
  /** Byte 1 is the number of data bytes in this report, at most this many. */
  maxData: number;
  dataAt: number;
  /** "]" and two characters of the AIM symbology identifier; -1 when the format has none. */
  aimAt: number;
  /** One character of the vendor's own symbology code, 0 when not sent; -1 when the format has none. */
  vendorAt: number;
  /** Bit 0 set: more of this code follows. -1: a full report means more follows. */
  continuedAt: number;
}

export const POS_REPORT_BYTES = 64;

const FORMATS: Record<PosReportFormat, ReportFormat> = {
  // Honeywell "USB Interfaces User's Guide" (HID POS: Getting Scanned Data) and the Access-IS
  // ATR110/LSR116/LSR118 product manuals (HID reports: Receive data).
  'aim-header': { reportId: 2, maxData: 56, dataAt: 5, aimAt: 2, vendorAt: 61, continuedAt: 63 },
  // Newland NLS-FM420 integration guide (HID-POS: Getting Scanned Data), and the same table in the
  // Quio QU-R-302, Unitech MS842N and ID TECH 2DScan manuals.
  'code-id-trailer': { reportId: 2, maxData: 56, dataAt: 2, aimAt: -1, vendorAt: 62, continuedAt: 63 },
  // Microscan MS-4 and MINI Hawk user's manuals, "Microscan HID Report Format".
  'length-only': { reportId: 1, maxData: 62, dataAt: 2, aimAt: -1, vendorAt: -1, continuedAt: -1 },
};

const BRACKET = 0x5d;

export class HidPosDecoder {
  readonly #code: HidCode;
  readonly #format: ReportFormat;
  readonly #reportId: number;
  readonly #aimPrefix: boolean;
  readonly #timeoutMs: number;
  /** The symbology the first report of the code under way gave. */
  #symbology: string | undefined;
  #vendorSymbology: string | undefined;

  constructor(options: HidPosDecoderOptions) {
    const { profile } = options;
    this.#format = FORMATS[profile.reportFormat];
    this.#reportId = profile.reportId ?? this.#format.reportId;
    this.#aimPrefix = profile.aimPrefix && this.#format.aimAt < 0;
    this.#timeoutMs = profile.interReportTimeoutMs;
    this.#code = new HidCode({
      maxCodeBytes: profile.maxCodeBytes,
      interReportTimeoutMs: profile.interReportTimeoutMs,
      onScan: options.onScan,
      onTrouble: options.onTrouble,
      binaryHint:
        'is the scanner set to send no prefix, suffix or code id beyond what the profile says (aimPrefix)?',
    });
  }

  /** Takes one input report as read from the device, received at `at` (ms since the epoch). */
  decode(report: Uint8Array, at: number): void {
    const code = this.#code;
    const format = this.#format;
    code.counts.reports++;
    if (report.length === 0) {
      this.#broken('an empty report');
      return;
    }
    if (report[0] !== this.#reportId) {
      code.otherReport(
        `a report with id ${report[0]} is not the scanned-data report (id ${this.#reportId}): ignored`,
      );
      return;
    }
    if (report.length !== POS_REPORT_BYTES) {
      this.#broken(`a report of ${report.length} bytes where a scanned-data report has ${POS_REPORT_BYTES}`);
      return;
    }
    const count = report[1] as number;
    if (count > format.maxData) {
      this.#broken(`a report claiming ${count} data bytes where it has room for ${format.maxData}`);
      return;
    }
    if (code.isStale(at)) this.#stale();
    if (!code.started) this.#readSymbology(report);
    code.touch(at);
    code.pushBytes(report, format.dataAt, count);
    const continued =
      format.continuedAt < 0 ? count === format.maxData : ((report[format.continuedAt] as number) & 1) === 1;
    if (continued) code.expectMore();
    else this.#end(at);
  }

  /**
   * The adapter calls this when `staleAt` passes: an unfinished code is dropped, except in the
   * length-only format, where silence is the only end a code filling whole reports has.
   */
  expire(now: number): void {
    if (this.#code.isStale(now)) this.#stale();
  }

  /** Forgets the code under way, as when the device is opened again. */
  reset(): void {
    this.#code.clear();
  }

  /** When the code under way goes stale unless another report comes; undefined when none is. */
  get staleAt(): number | undefined {
    return this.#code.staleAt;
  }

  get stats(): Readonly<HidScanStats> {
    return { ...this.#code.counts, pendingBytes: this.#code.length };
  }

  #readSymbology(report: Uint8Array): void {
    const { aimAt, vendorAt } = this.#format;
    this.#symbology =
      aimAt >= 0 &&
      report[aimAt] === BRACKET &&
      printable(report[aimAt + 1] as number) &&
      printable(report[aimAt + 2] as number)
        ? String.fromCharCode(report[aimAt + 1] as number, report[aimAt + 2] as number)
        : undefined;
    const vendor = vendorAt >= 0 ? (report[vendorAt] as number) : 0;
    this.#vendorSymbology = printable(vendor) ? String.fromCharCode(vendor) : undefined;
  }

  #end(at: number): void {
    this.#code.end(at, this.#symbology, this.#vendorSymbology, this.#aimPrefix);
  }

  #stale(): void {
    if (this.#format.continuedAt < 0) {
      // A whole number of full reports, then silence: that was the code's end.
      this.#end(this.#code.lastAt);
      return;
    }
    this.#code.drop(
      `a code announced more reports but none came within ${this.#timeoutMs} ms: the part received was dropped`,
    );
  }

  /** A report that cannot be a scanned-data report: counted, and the code it may have belonged to dropped. */
  #broken(what: string): void {
    const code = this.#code;
    code.malformed(`${what}: dropped`);
    if (code.started) code.drop(`${what} cut a code short: the code was dropped`);
  }
}

function printable(byte: number): boolean {
  return byte > 0x20 && byte < 0x7f;
}
