// What the scanners read, as the diagnostics page shows it: each scanner's last scan (when, how long,
// what was wrong), and a test mode a technician turns on for one scanner for a few minutes. While it
// lasts, that scanner's codes are shown decoded on the page and kept from its gate, so a test barcode
// is not an entry attempt; outside it a code is never shown, only its length.
import { Listeners } from '../drivers/listeners.js';
import type { Scan, ScanProblem } from '../drivers/scanner/port.js';
import type { Clock } from '../system/clock.js';

export interface SeenScan {
  scannerId: string;
  at: number;
  /** Characters read. */
  length: number;
  problem?: ScanProblem;
  /** The decoded code: only while the scanner is under test. */
  code?: string;
}

export interface ScannerView {
  scannerId: string;
  lastScanAt?: number;
  lastLength?: number;
  lastProblem?: ScanProblem;
  scans: number;
  /** When the test mode ends, ms since the epoch; absent when not under test. */
  testingUntil?: number;
}

/** The longest test a technician may ask for: a scanner left in test mode keeps its gate shut. */
export const MAX_TEST_MINUTES = 15;

export class ScanWatch {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #views = new Map<string, ScannerView>();
  readonly #seen = new Listeners<SeenScan>();

  constructor(clock: Pick<Clock, 'now'>, scannerIds: readonly string[]) {
    this.#clock = clock;
    for (const scannerId of scannerIds) this.#views.set(scannerId, { scannerId, scans: 0 });
  }

  /** Notes a scan; true when it goes on to its gate, false while its scanner is under test. */
  take(scannerId: string, scan: Scan): boolean {
    const view = this.#views.get(scannerId);
    if (!view) return true;
    const testing = this.#testing(view);
    const length = scan.credential.reveal().length;
    view.lastScanAt = scan.at;
    view.lastLength = length;
    view.scans++;
    if (scan.problem) view.lastProblem = scan.problem;
    else delete view.lastProblem;
    this.#seen.emit({
      scannerId,
      at: scan.at,
      length,
      ...(scan.problem ? { problem: scan.problem } : {}),
      ...(testing ? { code: scan.credential.reveal() } : {}),
    });
    return !testing;
  }

  /** Starts (or, with 0 minutes, ends) a scanner's test mode; returns when it ends. */
  test(scannerId: string, minutes: number): ScannerView {
    const view = this.#views.get(scannerId);
    if (!view) throw new RangeError(`no scanner "${scannerId}" on this hub`);
    if (minutes > 0) view.testingUntil = this.#clock.now() + minutes * 60_000;
    else delete view.testingUntil;
    return { ...view };
  }

  /** Hears every scan; the code only in test mode. Returns the unsubscribe. */
  listen(listener: (scan: SeenScan) => void): () => void {
    return this.#seen.add(listener);
  }

  report(): ScannerView[] {
    return [...this.#views.values()].map((view) => {
      this.#testing(view);
      return { ...view };
    });
  }

  #testing(view: ScannerView): boolean {
    if (view.testingUntil !== undefined && view.testingUntil <= this.#clock.now()) delete view.testingUntil;
    return view.testingUntil !== undefined;
  }
}
