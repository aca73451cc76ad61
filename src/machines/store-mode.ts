// The store's mode from everything the hub knows: the emergency, the mode set by the cloud or a
// technician, the health of the devices and how well the cameras see each shelf. Pure: the rules
// come from the configuration (`store`), the facts from the device machines; `store.mode` carries
// the result with every reason it is not plainly open.
//
//   emergency  the fire alarm or a command opened every gate
//   closed     set so; or a critical device offline; or a shelf no camera sees (entry refused, exits free)
//   degraded   some device offline or degraded, or a shelf only partly seen: open, but the cloud knows
//   open       nothing to say
//
// During the warm-up after a start, problems that would close the store only degrade it: cameras and
// buses take a while to come up, and a store that closes for a minute at every restart turns
// shoppers away for nothing.
import type { EventData } from '../events/catalogue.js';
import type { Clock } from '../system/clock.js';
import type { DeviceStatusData } from './status.js';

export type StoreModeData = EventData<'store.mode'>;

export interface ModeRules {
  /** Devices whose loss closes the store (an entry gate, the scanner at it). */
  criticalDevices: readonly string[];
  /** Close while a shelf that has cameras is seen by none of them. */
  closeWithoutCoverage: boolean;
}

export interface ShelfCoverage {
  shelfId: string;
  /** How many cameras the configuration says cover the shelf. */
  cameras: number;
  coverage: 'full' | 'partial' | 'none';
}

export interface ModeFacts {
  /** The mode the cloud or a technician set. */
  set: 'open' | 'closed';
  /** The emergency under way (active or latched), with what raised it. */
  emergency?: { source: string } | undefined;
  /** Every configured device, with its last status; a device never heard from is missing here. */
  devices: ReadonlyMap<string, DeviceStatusData | undefined>;
  shelves: readonly ShelfCoverage[];
  /** Still within the warm-up after the start. */
  warmingUp: boolean;
}

/** The mode and its reasons, most severe first; `reasons` is empty only when the store is plainly open. */
export function storeMode(facts: ModeFacts, rules: ModeRules): StoreModeData {
  if (facts.emergency) return { mode: 'emergency', reasons: [facts.emergency.source, 'every gate is open'] };
  const closing: string[] = [];
  const degrading: string[] = [];
  if (facts.set === 'closed') closing.push('closed: entry refused, exits free');
  for (const id of rules.criticalDevices) {
    const status = facts.devices.get(id);
    if (status?.status === 'offline') closing.push(`critical device ${id} offline: ${status.reason}`);
    else if (!status) closing.push(`critical device ${id} not heard from yet`);
  }
  for (const shelf of facts.shelves) {
    if (shelf.cameras === 0) continue;
    if (shelf.coverage === 'none') {
      const why = `no camera sees ${shelf.shelfId}`;
      if (rules.closeWithoutCoverage) closing.push(why);
      else degrading.push(why);
    } else if (shelf.coverage === 'partial') degrading.push(`${shelf.shelfId} only partly seen`);
  }
  const critical = new Set(rules.criticalDevices);
  for (const [id, status] of facts.devices) {
    if (!status || status.status === 'online') continue;
    // A critical device offline closes the store (above); degraded (a scanner under test), it degrades
    // it like any other device.
    if (critical.has(id) && status.status === 'offline') continue;
    degrading.push(`${status.deviceKind} ${id} ${status.status}: ${status.reason}`);
  }
  // Only what the store itself decided closes it while it warms up; the devices get their minute.
  const setClosed = facts.set === 'closed' ? closing.slice(0, 1) : [];
  if (facts.warmingUp && closing.length > setClosed.length) {
    const waiting = closing.slice(setClosed.length).map((why) => `warming up: ${why}`);
    if (setClosed.length > 0) return { mode: 'closed', reasons: [...setClosed, ...waiting, ...degrading] };
    return { mode: 'degraded', reasons: [...waiting, ...degrading] };
  }
  if (closing.length > 0) return { mode: 'closed', reasons: [...closing, ...degrading] };
  if (degrading.length > 0) return { mode: 'degraded', reasons: degrading };
  return { mode: 'open', reasons: [] };
}

/** Whether `a` and `b` say the same, so an unchanged mode is not announced twice. */
export function sameMode(a: StoreModeData | undefined, b: StoreModeData): boolean {
  return a !== undefined && a.mode === b.mode && a.reasons.join('\n') === b.reasons.join('\n');
}

export interface ModeKeeperOptions {
  rules: ModeRules;
  /** How long after `start` device problems only degrade the store. */
  warmUpMs: number;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** The facts now, but for the warm-up, which the keeper knows. */
  facts: () => Omit<ModeFacts, 'warmingUp'>;
  /** Receives every change of mode or reasons: the data of a `store.mode` event. */
  announce: (mode: StoreModeData) => void;
}

/** Keeps the store's mode: recomputed on every `update`, announced when it changes. */
export class StoreModeKeeper {
  readonly #opts: ModeKeeperOptions;
  #rules: ModeRules;
  #current: StoreModeData | undefined;
  /** What the cloud was last told. */
  #announced: StoreModeData | undefined;
  #flush: unknown;
  #warmingUp = true;
  #started = false;
  #timer: unknown;

  constructor(options: ModeKeeperOptions) {
    this.#opts = options;
    this.#rules = options.rules;
  }

  /** The mode now; before the first update, what the facts say. */
  get current(): StoreModeData {
    return this.#current ?? this.#compute();
  }

  /** Starts the warm-up and announces the first mode. */
  start(): void {
    this.#started = true;
    this.#warmingUp = this.#opts.warmUpMs > 0;
    if (this.#warmingUp)
      this.#timer = this.#opts.clock.setTimeout(() => {
        this.#warmingUp = false;
        this.update();
      }, this.#opts.warmUpMs);
    this.update();
  }

  /** New rules (a reloaded configuration); the mode follows them at once. */
  setRules(rules: ModeRules): void {
    this.#rules = rules;
    this.update();
  }

  /**
   * Something the mode depends on changed. The mode is recomputed at once (the entry desk reads
   * `current`); announcing waits for the end of this turn of the event loop, so a burst of device
   * reports (a hub starting, a USB hub browning out) is one announcement. Nothing before `start`.
   */
  update(): void {
    if (!this.#started) return;
    this.#current = this.#compute();
    if (this.#flush !== undefined) return;
    this.#flush = this.#opts.clock.setTimeout(() => {
      this.#flush = undefined;
      const now = this.#current;
      if (!now || sameMode(this.#announced, now)) return;
      this.#announced = now;
      this.#opts.announce(now);
    }, 0);
  }

  stop(): void {
    this.#started = false;
    this.#opts.clock.clearTimeout(this.#flush);
    this.#flush = undefined;
    if (this.#timer !== undefined) this.#opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #compute(): StoreModeData {
    return storeMode({ ...this.#opts.facts(), warmingUp: this.#warmingUp }, this.#rules);
  }
}
