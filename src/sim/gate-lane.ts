// A gate lane as simulated people use it: bodies breaking and clearing its two beams in the order
// and with the timing real people would, a door pushed open and pulled shut by its closer, the
// request-to-exit button pressed. Inputs are set by logical level through the chip (which puts on
// the wire what each line's polarity needs) and held while any body or hand holds them.
import type { GateProfile } from '../drivers/gpio/gate-profile.js';
import type { SimGpioChip } from '../drivers/gpio/sim.js';
import type { SimScanner } from '../drivers/scanner/sim.js';
import type { Random } from '../system/random.js';

export type InputLine = keyof GateProfile['inputs'];

/** One person through a lane, ms from now: near beam broken, far broken, near clear, far clear. */
export interface Crossing {
  near: number;
  far: number;
  nearOff: number;
  farOff: number;
}

export interface LaneDevices {
  gateId: string;
  chip: SimGpioChip;
  profile: GateProfile;
  qr?: SimScanner;
  palm?: SimScanner;
}

/** Runs `fn` in `ms` on the owner's clock, where the owner can clear it when it stops. */
export type Schedule = (ms: number, fn: () => void) => void;

/** One gate's lane, used by one party `P` at a time, in either direction. */
export class GateLane<P> implements LaneDevices {
  readonly gateId: string;
  readonly chip: SimGpioChip;
  readonly profile: GateProfile;
  readonly qr?: SimScanner;
  readonly palm?: SimScanner;
  readonly role: 'entry' | 'exit';
  /** Who waits for the lane, first first. */
  readonly queue: P[] = [];
  /** Who has it now. */
  user: P | undefined;
  /** The shortest time between two beam changes that the gate's debounce lets through. */
  readonly gap: number;
  readonly #holds = new Map<InputLine, number>();
  readonly #random: Random;
  readonly #after: Schedule;

  constructor(devices: LaneDevices, role: 'entry' | 'exit', random: Random, after: Schedule) {
    this.gateId = devices.gateId;
    this.chip = devices.chip;
    this.profile = devices.profile;
    if (devices.qr) this.qr = devices.qr;
    if (devices.palm) this.palm = devices.palm;
    this.role = role;
    const { beamOuter, beamInner } = devices.profile.inputs;
    this.gap = Math.max(40, 2 * Math.max(beamOuter.debounceMs, beamInner.debounceMs) + 10);
    this.#random = random;
    this.#after = after;
  }

  /** After the last person through, how long the gate takes to lock again, and a little more. */
  get settleMs(): number {
    return this.profile.timing.relockDelayMs + 2 * this.gap + 300;
  }

  /** Whether the gate's lock has been written open at or after `since`. */
  unlockedSince(since: number): boolean {
    const writes = this.chip.writes('unlock');
    for (let k = writes.length - 1; k >= 0; k--) {
      const write = writes[k] as { at: number; level: number };
      if (write.at < since) return false;
      if (write.level === 1) return true;
    }
    return false;
  }

  /** A person's crossing from `at`, 0.6-1.5 s first beam to last; the far beam not before `farNotBefore`. */
  crossing(at: number, farNotBefore = 0): Crossing {
    const random = this.#random;
    const { gap } = this;
    const takes = random.between(600, 1500);
    const far = Math.round(Math.max(at + gap, at + takes * random.between(0.3, 0.4), farNotBefore));
    const nearOff = Math.round(Math.max(far + gap, at + takes * random.between(0.55, 0.7)));
    const farOff = Math.round(Math.max(nearOff + gap, at + takes));
    return { near: Math.round(at), far, nearOff, farOff };
  }

  /**
   * `people` one after another from `at`. With a `closeFollow` chance, the next steps in before the one
   * ahead has cleared the far beam, so the lane never empties; otherwise once it has.
   */
  plan(people: number, at: number, closeFollow: number): Crossing[] {
    const crossings = [this.crossing(at)];
    const { gap } = this;
    for (let k = 1; k < people; k++) {
      const ahead = crossings[k - 1] as Crossing;
      const close = ahead.farOff - ahead.nearOff > 2 * gap && this.#random.next() < closeFollow;
      crossings.push(
        close
          ? this.crossing(this.#random.between(ahead.nearOff + gap, ahead.farOff - gap), ahead.farOff + gap)
          : this.crossing(ahead.farOff + this.#random.between(300, 1500)),
      );
    }
    return crossings;
  }

  /** Someone pressed against `last`, through before the gate relocks; undefined if it relocks too soon. */
  tailgater(last: Crossing): Crossing | undefined {
    const { gap } = this;
    const window = this.profile.timing.relockDelayMs * this.#random.between(0.5, 0.8);
    if (window < 3 * gap || last.farOff - last.nearOff <= 2 * gap) return undefined;
    const far = last.farOff + gap;
    const farOff = Math.round(last.farOff + window);
    return {
      near: Math.round(this.#random.between(last.nearOff + gap, last.farOff - gap)),
      far,
      nearOff: Math.round((far + farOff) / 2),
      farOff,
    };
  }

  /**
   * Walks `crossings` through the lane (`in`: street to shop): a door is pushed open just before the
   * first and its closer shuts it a moment after the last; `through(k)` as the k-th person clears the
   * far beam. Returns when the lane is quiet again, ms from now.
   */
  walk(direction: 'in' | 'out', crossings: readonly Crossing[], through: (k: number) => void): number {
    const [near, far]: [InputLine, InputLine] =
      direction === 'in' ? ['beamOuter', 'beamInner'] : ['beamInner', 'beamOuter'];
    const door = this.profile.kind === 'door' && this.profile.inputs.position !== undefined;
    const first = Math.min(...crossings.map((c) => c.near));
    if (door) this.#after(Math.max(0, first - 150), () => this.hold('position', 1));
    let quiet = 0;
    crossings.forEach((c, k) => {
      this.#after(c.near, () => this.hold(near, 1));
      this.#after(c.far, () => this.hold(far, 1));
      this.#after(c.nearOff, () => this.hold(near, -1));
      this.#after(c.farOff, () => {
        this.hold(far, -1);
        through(k);
      });
      quiet = Math.max(quiet, c.farOff);
    });
    if (door) {
      quiet += Math.round(this.#random.between(1000, 2500));
      this.#after(quiet, () => this.hold('position', -1));
    }
    return quiet;
  }

  /** A press of the request-to-exit button: down now, up again a moment later. */
  pressButton(): void {
    this.hold('exitRequest', 1);
    const debounce = this.profile.inputs.exitRequest?.debounceMs ?? 0;
    this.#after(Math.max(2 * debounce + 10, this.#random.between(150, 400)), () =>
      this.hold('exitRequest', -1),
    );
  }

  /** One more (+1) or one fewer (-1) body or hand holding an input active; the line changes at 0 ↔ 1. */
  hold(line: InputLine, change: 1 | -1): void {
    const was = this.#holds.get(line) ?? 0;
    const now = Math.max(0, was + change);
    this.#holds.set(line, now);
    if (was > 0 !== now > 0) this.chip.set(line, now > 0 ? 1 : 0);
  }

  /** Lets go of every input held (beams clear, buttons up, alarm off), and forgets who was waiting. */
  release(): void {
    for (const [line, holds] of this.#holds) if (holds > 0) this.chip.set(line, 0);
    this.#holds.clear();
    this.queue.length = 0;
    this.user = undefined;
  }
}
