// Whether a device is on the machine, learnt by looking every so often: its /dev path exists, its USB
// ids are among the HID devices. Looking is cheap (one stat, one shared enumeration) and works where
// event sources do not: /dev/serial/by-id itself vanishes with the last adapter, and containers and
// test pseudo-terminals send no udev events. Polling runs only while someone listens.
import { stat } from 'node:fs/promises';
import type { Clock, TimerHandle } from '../system/clock.js';

export interface PresenceWatchOptions {
  /**
   * Whether the device is there now; undefined when that cannot be told at the moment (a listing
   * failed), which leaves presence as it was. A rejection counts as absent.
   */
  check: () => Promise<boolean | undefined>;
  clock: Clock;
  /** How often to look. */
  everyMs: number;
}

/**
 * Calls its listeners when the answer of `check` changes, never with the answer at the first look
 * (that is the baseline). Checks never overlap; a slow one delays the next.
 */
export class PresenceWatch {
  readonly #options: PresenceWatchOptions;
  readonly #listeners = new Set<(present: boolean) => void>();
  #present: boolean | undefined;
  #timer: TimerHandle | undefined;
  /** Bumped when the last listener leaves, so a check in flight then is ignored. */
  #generation = 0;

  constructor(options: PresenceWatchOptions) {
    this.#options = options;
  }

  /** Whether the device was there at the last look; undefined when nobody listens or nothing is known. */
  get present(): boolean | undefined {
    return this.#present;
  }

  /** Subscribes; polling starts with the first listener and stops with the last. */
  subscribe(listener: (present: boolean) => void): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) void this.#look(this.#generation);
    return () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0) return;
      this.#generation++;
      this.#options.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#present = undefined;
    };
  }

  async #look(generation: number): Promise<void> {
    const present = await this.#options.check().catch(() => false);
    if (generation !== this.#generation) return;
    const before = this.#present;
    this.#present = present ?? before;
    if (before !== undefined && present !== undefined && before !== present)
      for (const listener of [...this.#listeners]) {
        // One listener failing must neither stop the others hearing nor end the watching.
        try {
          listener(present);
        } catch {}
      }
    if (generation !== this.#generation) return;
    this.#timer = this.#options.clock.setTimeout(() => void this.#look(generation), this.#options.everyMs);
  }
}

/** Watches a device node or its stable link (a /dev/serial/by-id name) for existing. */
export function watchPath(path: string, clock: Clock, everyMs = 250): PresenceWatch {
  return new PresenceWatch({ check: () => stat(path).then(() => true), clock, everyMs });
}
