// What the scanners read, as the diagnostics page shows it: each scanner's last scan (when, how long,
// what was wrong), and a test mode a technician turns on for one scanner for a few minutes. While it
// lasts, that scanner's codes are shown on the page and kept from its gate, so a test barcode is not
// an entry attempt, and the scanner reports itself degraded, so the store and the cloud know its gate
// lets nobody in. Even then a palm handle is never shown, and an entry token only without its
// signature: what is on the screen cannot open the gate. Outside test mode only the length is shown.
import { Listeners } from '../drivers/listeners.js';
import type { Scan, ScanProblem } from '../drivers/scanner/port.js';
import type { Clock, TimerHandle } from '../system/clock.js';

export interface SeenScan {
  scannerId: string;
  at: number;
  /** Characters read. */
  length: number;
  problem?: ScanProblem;
  /** What was read, signature cut off: only while the scanner is under test, and never a palm's. */
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

/** A compact JWS (an entry token): three base64url parts. */
const compactJws = /^([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+$/;

/** The code as the page may show it: an entry token without its signature, anything else as read. */
function shownCode(code: string): string {
  const token = compactJws.exec(code);
  return token ? `${token[1]}.(signature hidden)` : code;
}

export class ScanWatch {
  readonly #clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  readonly #views = new Map<string, ScannerView>();
  readonly #palms = new Set<string>();
  readonly #ends = new Map<string, TimerHandle>();
  readonly #seen = new Listeners<SeenScan>();
  readonly #changed: (scannerId: string) => void;

  /** `changed` hears a scanner's test mode begin or end. */
  constructor(
    clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>,
    scanners: readonly { id: string; kind: 'qr' | 'palm' }[],
    changed: (scannerId: string) => void = () => {},
  ) {
    this.#clock = clock;
    this.#changed = changed;
    for (const { id, kind } of scanners) {
      this.#views.set(id, { scannerId: id, scans: 0 });
      if (kind === 'palm') this.#palms.add(id);
    }
  }

  /** Notes a scan; true when it goes on to its gate, false while its scanner is under test. */
  take(scannerId: string, scan: Scan): boolean {
    const view = this.#views.get(scannerId);
    if (!view) return true;
    const testing = view.testingUntil !== undefined;
    const code = scan.credential.reveal();
    view.lastScanAt = scan.at;
    view.lastLength = code.length;
    view.scans++;
    if (scan.problem) view.lastProblem = scan.problem;
    else delete view.lastProblem;
    const show = testing && !this.#palms.has(scannerId);
    try {
      this.#seen.emit({
        scannerId,
        at: scan.at,
        length: code.length,
        ...(scan.problem ? { problem: scan.problem } : {}),
        ...(show ? { code: shownCode(code) } : {}),
      });
    } catch {
      // The pages' listeners guard themselves; a scan's way to its gate must not depend on them.
    }
    return !testing;
  }

  /** Starts (or, with 0 minutes, ends) a scanner's test mode; returns its view. */
  test(scannerId: string, minutes: number): ScannerView {
    const view = this.#views.get(scannerId);
    if (!view) throw new RangeError(`no scanner "${scannerId}" on this hub`);
    this.#end(scannerId, false);
    if (minutes > 0) {
      const ms = minutes * 60_000;
      view.testingUntil = this.#clock.now() + ms;
      this.#ends.set(
        scannerId,
        this.#clock.setTimeout(() => this.#end(scannerId, true), ms),
      );
    }
    this.#changed(scannerId);
    return { ...view };
  }

  /** When the scanner's test mode ends; undefined when it is not under test. */
  testingUntil(scannerId: string): number | undefined {
    return this.#views.get(scannerId)?.testingUntil;
  }

  /** Hears every scan; the code only in test mode. Returns the unsubscribe. */
  listen(listener: (scan: SeenScan) => void): () => void {
    return this.#seen.add(listener);
  }

  report(): ScannerView[] {
    return [...this.#views.values()].map((view) => ({ ...view }));
  }

  /** Ends every test (the hub stopping). */
  stop(): void {
    for (const scannerId of [...this.#ends.keys()]) this.#end(scannerId, false);
  }

  #end(scannerId: string, tell: boolean): void {
    const timer = this.#ends.get(scannerId);
    if (timer !== undefined) this.#clock.clearTimeout(timer);
    this.#ends.delete(scannerId);
    const view = this.#views.get(scannerId);
    if (view) delete view.testingUntil;
    if (tell) this.#changed(scannerId);
  }
}
