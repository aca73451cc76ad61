// Fire drills at the gates: now and then the sim drives one gate's fire-alarm input, as the panel's
// wire would, and everyone in the store heads out through the freest gate while anyone still arriving
// turns away. Once the alarm is over and the last person is out, the sim plays the person who resets
// the panel, and the store takes shoppers again.
import type { Clock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import type { Random } from '../system/random.js';
import type { GateCrowd, Lane, Party } from './gate-crowd.js';
import type { FireDrill } from './gate-journeys.js';

export interface FireDrillsOptions {
  crowd: GateCrowd;
  clock: Clock;
  /** The drills' own chance, not the shoppers'. */
  random: Random;
  /** Mean time between two fire drills; 0 = never. */
  everyMinutes: number;
  /** What the person who resets the fire panel does once the alarm is over and everyone is out. */
  resetEmergency?: () => void;
  /** Sends a party in the store out through the freest gate. */
  evacuate: (party: Party) => void;
  log: Logger;
}

/** Fire drills at random (a Poisson process), one at a time, each until the panel has been reset. */
export class FireDrills {
  readonly #options: FireDrillsOptions;
  readonly #crowd: GateCrowd;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #drills: FireDrill[] = [];
  #drill: FireDrill | undefined;

  constructor(options: FireDrillsOptions) {
    this.#options = options;
    this.#crowd = options.crowd;
    this.#clock = options.clock;
    this.#random = options.random;
  }

  /** Every drill so far, oldest first; live objects. */
  get all(): readonly FireDrill[] {
    return this.#drills;
  }

  /** The drill under way, from the alarm until the panel has been reset. */
  get current(): FireDrill | undefined {
    return this.#drill;
  }

  /** Plans the next drill, if the store runs, drills are on and a gate has a fire-alarm input. */
  schedule(): void {
    const minutes = this.#options.everyMinutes;
    if (!this.#crowd.running || minutes === 0 || this.#fireLanes().length === 0) return;
    this.#crowd.after(this.#random.exponential(minutes * 60_000), () => this.#start());
  }

  /** The day ended: the drill under way is forgotten (its plans were the crowd's, and are gone). */
  stop(): void {
    this.#drill = undefined;
  }

  #fireLanes(): Lane[] {
    return this.#crowd.lanes.filter((lane) => lane.profile.inputs.fireAlarm);
  }

  #start(): void {
    const random = this.#random;
    const lane = random.pick(this.#fireLanes());
    const drill: FireDrill = {
      gateId: lane.gateId,
      startedAt: this.#clock.now(),
      inside: this.#crowd.inside,
      evacuated: 0,
    };
    this.#drill = drill;
    this.#drills.push(drill);
    lane.hold('fireAlarm', 1);
    this.#options.log.info(
      { gateId: lane.gateId, inside: drill.inside },
      'simulated fire drill: the alarm rings',
    );
    for (const party of [...this.#crowd.parties]) {
      if (party.phase === 'arriving') this.#turnAway(party);
      else if (
        party.phase === 'inside' ||
        (party.phase === 'leaving' && !party.evacuating && !this.#atItsGate(party))
      ) {
        this.#crowd.cancel(party);
        this.#crowd.unqueue(party);
        this.#options.evacuate(party);
      }
    }
    this.#crowd.after(random.between(60_000, 180_000), () => {
      lane.hold('fireAlarm', -1);
      drill.clearedAt = this.#clock.now();
      this.#options.log.info({ gateId: lane.gateId }, 'simulated fire drill: the alarm is over');
      this.#crowd.after(random.between(10_000, 30_000), () => this.#reset(drill));
    });
  }

  /** The person at the fire panel resets it once everyone is out. */
  #reset(drill: FireDrill): void {
    if ([...this.#crowd.parties].some((p) => p.inside > 0 || p.phase === 'walkingIn')) {
      this.#crowd.after(5000, () => this.#reset(drill));
      return;
    }
    drill.resetAt = this.#clock.now();
    this.#drill = undefined;
    this.#options.log.info(
      { gateId: drill.gateId, evacuated: drill.evacuated },
      'simulated fire drill: reset',
    );
    try {
      this.#options.resetEmergency?.();
    } catch (err) {
      this.#options.log.warn({ err }, 'simulated fire drill: the reset failed');
    }
    this.schedule();
  }

  /** A party already at its gate on the way out keeps going; one still queued heads for the freest gate. */
  #atItsGate(party: Party): boolean {
    return this.#crowd.lanes.some((lane) => lane.user === party);
  }

  #turnAway(party: Party): void {
    this.#crowd.cancel(party);
    this.#crowd.unqueue(party);
    for (const lane of this.#crowd.entries) if (lane.user === party) this.#crowd.releaseLane(lane, 0);
    this.#crowd.log(party.journey, 'simulated shopper turns away: fire alarm', {});
    this.#crowd.end(party, 'turnedAway');
  }
}
