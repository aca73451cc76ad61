// Trouble a real store has every week, injected at random: a scanner's cable kicked, a shelf's
// USB-RS485 adapter re-enumerating, a plate going dead, stuck or noisy, a camera freezing or stuttering. Faults arrive as a Poisson
// process (exponential gaps) and last about faultDurationSeconds; the same seed replays them exactly.
import type { SimCamera } from '../drivers/camera/sim.js';
import type { Clock, TimerHandle } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import type { Random } from '../system/random.js';
import type { SimBehaviour } from './behaviour.js';

export type FaultKind =
  | 'cable-kicked'
  | 'adapter-re-enumerating'
  | 'plate-dead'
  | 'plate-stuck'
  | 'plate-noisy'
  | 'camera-frozen'
  | 'camera-offline'
  | 'camera-stuttering';

/** One injected fault, as the store's log and tests see it. */
export interface Fault {
  at: number;
  deviceId: string;
  deviceKind: 'scanner' | 'shelf' | 'camera';
  kind: FaultKind;
  /** What the device will say about it. */
  reason: string;
  durationMs: number;
}

/** A device that can be made to misbehave: `inject` starts a fault and returns how to end it. */
export interface FaultTarget {
  deviceId: string;
  deviceKind: Fault['deviceKind'];
  inject(random: Random): { kind: FaultKind; reason: string; recover: () => void };
}

/** What the fault scheduler needs of a streaming device: a cable to pull and put back. */
export interface Pluggable {
  unplug(reason: string): void;
  plugIn(): void;
}

export function scannerTarget(deviceId: string, scanner: Pluggable): FaultTarget {
  return linkTarget(deviceId, 'scanner', scanner, 'cable-kicked', 'cable unplugged');
}

export function shelfTarget(deviceId: string, shelf: Pluggable): FaultTarget {
  return linkTarget(deviceId, 'shelf', shelf, 'adapter-re-enumerating', 'USB-RS485 adapter re-enumerating');
}

/** What the fault scheduler needs of a shelf to fail one of its plates for a while. */
export interface FailablePlates {
  readonly plates: number;
  failPlate(plate: number, failure: 'dead' | 'stuck' | 'noisy'): void;
  repairPlate(plate: number): void;
}

const plateTrouble = {
  dead: 'reads nothing (load cell or its cable broken)',
  stuck: 'stuck on one reading',
  noisy: 'noisy (failing load cell or loose cable screen)',
} as const;

/** One plate of a shelf at a time goes dead, sticks or turns noisy, and is repaired when the fault ends. */
export function plateTarget(deviceId: string, shelf: FailablePlates): FaultTarget {
  return {
    deviceId,
    deviceKind: 'shelf',
    inject(random) {
      const plate = random.int(shelf.plates);
      const failure = random.pick(['dead', 'stuck', 'noisy'] as const);
      shelf.failPlate(plate, failure);
      return {
        kind: `plate-${failure}`,
        reason: `plate ${plate} ${plateTrouble[failure]}`,
        recover: () => shelf.repairPlate(plate),
      };
    },
  };
}

export function cameraTarget(deviceId: string, camera: SimCamera): FaultTarget {
  return {
    deviceId,
    deviceKind: 'camera',
    inject(random) {
      const recover = () => camera.recover();
      const roll = random.next();
      if (roll < 1 / 3) {
        camera.freeze();
        return { kind: 'camera-frozen', reason: 'picture frozen while still streaming', recover };
      }
      if (roll < 2 / 3) {
        const reason = 'connection refused: the camera dropped off the network';
        camera.fail(reason);
        return { kind: 'camera-offline', reason, recover };
      }
      const fps = Math.round(random.between(0.5, 3) * 10) / 10;
      camera.degrade(fps);
      return { kind: 'camera-stuttering', reason: `stuttering at ${fps} fps`, recover };
    },
  };
}

function linkTarget(
  deviceId: string,
  deviceKind: 'scanner' | 'shelf',
  link: Pluggable,
  kind: FaultKind,
  reason: string,
): FaultTarget {
  return {
    deviceId,
    deviceKind,
    inject() {
      link.unplug(reason);
      return { kind, reason, recover: () => link.plugIn() };
    },
  };
}

export interface FaultSchedulerOptions {
  targets: readonly FaultTarget[];
  /** Mean gap between faults; 0 = never. */
  everySeconds: number;
  /** Mean duration of a fault; each lasts between half and one and a half times this. */
  durationSeconds: number;
  clock: Clock;
  random: Random;
  log: Logger;
  onFault?: (fault: Fault) => void;
}

/** Injects faults while started; `stop` ends the ones under way, leaving every device healthy. */
export class FaultScheduler implements SimBehaviour {
  readonly name = 'faults';
  readonly #options: FaultSchedulerOptions;
  readonly #targets: FaultTarget[];
  readonly #active = new Map<string, { timer: TimerHandle; recover: () => void }>();
  #next: TimerHandle | undefined;
  #running = false;

  constructor(options: FaultSchedulerOptions) {
    this.#options = options;
    this.#targets = [...options.targets];
  }

  /** Adds devices that may fail from now on; a scheduler that had nothing to fail starts now. */
  add(...targets: FaultTarget[]): void {
    this.#targets.push(...targets);
    if (this.#next === undefined) this.#scheduleNext();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduleNext();
  }

  stop(): void {
    this.#running = false;
    this.#options.clock.clearTimeout(this.#next);
    this.#next = undefined;
    for (const deviceId of [...this.#active.keys()]) this.#recover(deviceId);
  }

  /** Devices with a fault under way. */
  get faulted(): string[] {
    return [...this.#active.keys()];
  }

  #scheduleNext(): void {
    const { everySeconds, clock, random } = this.#options;
    if (!this.#running || everySeconds <= 0 || this.#targets.length === 0) return;
    this.#next = clock.setTimeout(() => this.#inject(), random.exponential(everySeconds * 1000));
  }

  #inject(): void {
    const { durationSeconds, clock, random, log, onFault } = this.#options;
    this.#next = undefined;
    // A device already in trouble is left alone; with every device in trouble this turn passes.
    const healthy = this.#targets.filter((t) => !this.#active.has(t.deviceId));
    if (healthy.length > 0) {
      const target = random.pick(healthy);
      const durationMs = Math.round(durationSeconds * 1000 * random.between(0.5, 1.5));
      const { kind, reason, recover } = target.inject(random);
      const timer = clock.setTimeout(() => this.#recover(target.deviceId), durationMs);
      this.#active.set(target.deviceId, { timer, recover });
      const fault: Fault = {
        at: clock.now(),
        deviceId: target.deviceId,
        deviceKind: target.deviceKind,
        kind,
        reason,
        durationMs,
      };
      log.info({ deviceId: fault.deviceId, fault: kind, durationMs }, 'simulated fault');
      onFault?.(fault);
    }
    this.#scheduleNext();
  }

  #recover(deviceId: string): void {
    const active = this.#active.get(deviceId);
    if (!active) return;
    this.#active.delete(deviceId);
    this.#options.clock.clearTimeout(active.timer);
    active.recover();
    this.#options.log.debug({ deviceId }, 'simulated fault over');
  }
}
