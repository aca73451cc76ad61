// The parties at the gates and in the store, as the sim keeps track of them: who queues for which
// lane and who has it, the plans each party has on the clock (dropped when a fire drill changes them,
// all of them when the day ends), the wait for a gate's lock to open, and the end of every journey.
// A shopper is logged by number, never by what they showed.
import type { Clock, TimerHandle } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import type { Random } from '../system/random.js';
import type { Journey, JourneyOutcome } from './gate-journeys.js';
import { GateLane, type LaneDevices } from './gate-lane.js';

export type Phase = 'arriving' | 'walkingIn' | 'inside' | 'leaving' | 'done';

export interface Party {
  journey: Journey;
  phase: Phase;
  /** Of the party (and its tailgater), how many are in the store now. */
  inside: number;
  evacuating: boolean;
  /** What the party does once the lane it queues at is its own. */
  use?: () => void;
  /** The party's own plans, cancelled when a fire drill changes them. Steps under way are not in it. */
  timers: Set<TimerHandle>;
  /** Waits for a gate's lock, ended with the plans. */
  waits: Set<() => void>;
}

export type Lane = GateLane<Party>;

/** Every party under way and every gate lane they use, with the timers of both on one clock. */
export class GateCrowd {
  readonly entries: readonly Lane[];
  readonly exits: readonly Lane[];
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #log: Logger;
  readonly #parties = new Set<Party>();
  readonly #timers = new Set<TimerHandle>();
  readonly #listeners = new Set<(journey: Journey) => void>();
  #running = false;

  /** `random` is the shoppers' own: the lanes and a person's reaction draw on it in turn with them. */
  constructor(
    entries: readonly LaneDevices[],
    exits: readonly LaneDevices[],
    clock: Clock,
    random: Random,
    log: Logger,
  ) {
    this.#clock = clock;
    this.#random = random;
    this.#log = log;
    const lane = (role: Lane['role']) => (gate: LaneDevices) =>
      new GateLane<Party>(gate, role, this.#random, (ms, fn) => this.after(ms, fn));
    this.entries = entries.map(lane('entry'));
    this.exits = exits.map(lane('exit'));
  }

  get running(): boolean {
    return this.#running;
  }

  /** Every lane, the entries first. */
  get lanes(): Lane[] {
    return [...this.entries, ...this.exits];
  }

  get parties(): ReadonlySet<Party> {
    return this.#parties;
  }

  /** People in the store now, as the shoppers know it. */
  get inside(): number {
    let n = 0;
    for (const party of this.#parties) n += party.inside;
    return n;
  }

  /** Hears each journey as it ends (the last of them out, or they gave up); returns the unsubscriber. */
  onJourney(listener: (journey: Journey) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    this.#running = true;
  }

  /** Drops every plan (journeys under way stay unfinished) and releases every input the sim holds. */
  stop(): void {
    this.#running = false;
    for (const timer of this.#timers) this.#clock.clearTimeout(timer);
    this.#timers.clear();
    for (const party of this.#parties) this.cancel(party);
    this.#parties.clear();
    for (const lane of this.lanes) lane.release();
  }

  /** A party arriving at the gates with `journey`. */
  join(journey: Journey): Party {
    const party: Party = {
      journey,
      phase: 'arriving',
      inside: 0,
      evacuating: false,
      timers: new Set(),
      waits: new Set(),
    };
    this.#parties.add(party);
    return party;
  }

  // Lanes.

  queue(party: Party, lane: Lane, use: () => void): void {
    party.use = use;
    lane.queue.push(party);
    this.#nextAtLane(lane);
  }

  unqueue(party: Party): void {
    for (const lane of this.lanes) {
      const at = lane.queue.indexOf(party);
      if (at >= 0) lane.queue.splice(at, 1);
    }
  }

  #nextAtLane(lane: Lane): void {
    if (lane.user || !this.#running) return;
    const next = lane.queue.shift();
    if (!next) return;
    lane.user = next;
    next.use?.();
  }

  /** The lane is free for the next party once it has been quiet `quietIn` ms and the gate has locked. */
  releaseLane(lane: Lane, quietIn: number): void {
    this.after(quietIn + lane.settleMs, () => {
      lane.user = undefined;
      this.#nextAtLane(lane);
    });
  }

  /**
   * Calls `opened` a moment (a person's reaction) after the lane's lock has been written open since
   * `since`, or `gaveUp` after `patience` ms without.
   */
  awaitUnlock(
    party: Party,
    lane: Lane,
    since: number,
    patience: number,
    then: { opened: () => void; gaveUp: () => void },
  ): void {
    const react = () => this.after(this.#random.between(300, 800), then.opened, party);
    if (lane.unlockedSince(since)) {
      react();
      return;
    }
    const stop = lane.chip.onOutput((name, level) => {
      if (name !== 'unlock' || level !== 1) return;
      done();
      react();
    });
    const timer = this.after(
      patience,
      () => {
        done();
        then.gaveUp();
      },
      party,
    );
    const done = () => {
      stop();
      party.waits.delete(done);
      party.timers.delete(timer);
      this.clear(timer);
    };
    party.waits.add(done);
  }

  // Bookkeeping.

  end(party: Party, outcome?: JourneyOutcome): void {
    this.cancel(party);
    party.phase = 'done';
    this.#parties.delete(party);
    const { journey } = party;
    if (outcome) journey.outcome = outcome;
    journey.endedAt = this.#clock.now();
    this.log(journey, 'simulated shopper done', { outcome: journey.outcome, exits: journey.exits.length });
    for (const listener of [...this.#listeners]) listener(journey);
  }

  cancel(party: Party): void {
    for (const done of [...party.waits]) done();
    for (const timer of party.timers) this.clear(timer);
    party.timers.clear();
  }

  log(journey: Journey, message: string, fields: Record<string, unknown>): void {
    this.#log.debug({ shopper: journey.id, gateId: journey.gateId, ...fields }, message);
  }

  /** Runs `fn` in `ms`, among the party's plans if it is given; every timer is cleared by `stop`. */
  after(ms: number, fn: () => void, party?: Party): TimerHandle {
    const timer = this.#clock.setTimeout(
      () => {
        this.#timers.delete(timer);
        party?.timers.delete(timer);
        fn();
      },
      Math.max(0, Math.round(ms)),
    );
    this.#timers.add(timer);
    party?.timers.add(timer);
    return timer;
  }

  clear(timer: TimerHandle): void {
    this.#clock.clearTimeout(timer);
    this.#timers.delete(timer);
  }
}
