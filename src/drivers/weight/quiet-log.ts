// Trouble that repeats (a noisy cable, a chatty board) is logged a few times per window, then counted:
// the journal keeps the first lines and a tally, not a flood.
import type { Clock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';

type Level = 'info' | 'warn';

interface Window {
  start: number;
  logged: number;
  suppressed: number;
}

export class QuietLog {
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #burst: number;
  readonly #windows = new Map<string, Window>();

  /** Lets `burst` lines of each kind through per `windowMs`; the first line after says how many were left out. */
  constructor(log: Logger, clock: Clock, windowMs = 60_000, burst = 1) {
    this.#log = log;
    this.#clock = clock;
    this.#windowMs = windowMs;
    this.#burst = burst;
  }

  info(kind: string, fields: Record<string, unknown>, message: string): void {
    this.#write('info', kind, fields, message);
  }

  warn(kind: string, fields: Record<string, unknown>, message: string): void {
    this.#write('warn', kind, fields, message);
  }

  #write(level: Level, kind: string, fields: Record<string, unknown>, message: string): void {
    const now = this.#clock.now();
    let window = this.#windows.get(kind);
    if (!window || now - window.start >= this.#windowMs) {
      const suppressed = window?.suppressed ?? 0;
      window = { start: now, logged: 0, suppressed: 0 };
      this.#windows.set(kind, window);
      if (suppressed > 0) fields = { ...fields, suppressed };
    }
    if (window.logged >= this.#burst) {
      window.suppressed++;
      return;
    }
    window.logged++;
    this.#log[level](fields, message);
  }
}
