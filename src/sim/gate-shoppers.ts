// Shoppers at the gates: they arrive at an entry gate alone or in groups, show a QR token or a palm
// (gate-scans.ts), wait for the gate to open and walk through its beams; a tailgater slips in behind
// a party now and then, someone forces the gate. After a while in the store they leave by an exit
// gate, pressing its button where egress is on request. A fire drill now and then sends everyone out
// through any gate (gate-fire-drills.ts). The gates feel all of it on their GPIO lines, driven as the
// wires would be (gate-lane.ts), and the truth of every journey is kept (gate-journeys.ts) so tests
// and the end-to-end run can score what the daemon made of it. Credentials never reach a log: a
// shopper is logged by number, a token by its jti at most.
import type { GateProfile } from '../drivers/gpio/gate-profile.js';
import type { Clock, TimerHandle } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import type { Random } from '../system/random.js';
import type { SimBehaviour } from './behaviour.js';
import { EntryCredentials, type SimSigningKey } from './gate-credentials.js';
import { GateCrowd, type Lane, type Party } from './gate-crowd.js';
import { FireDrills } from './gate-fire-drills.js';
import {
  type CredentialKind,
  defaultGateHabits,
  type FireDrill,
  type GateExit,
  type GateHabits,
  type Journey,
} from './gate-journeys.js';
import type { Crossing, LaneDevices } from './gate-lane.js';
import { EntryScans } from './gate-scans.js';

export {
  defaultGateHabits,
  type FireDrill,
  type GateAttempt,
  type GateExit,
  type GateHabits,
  type Journey,
  type JourneyOutcome,
} from './gate-journeys.js';

/** An entry gate: its chip, its model, and the scanners standing at it. */
export type EntryGate = LaneDevices;
export type ExitGate = Omit<LaneDevices, 'qr' | 'palm'>;

export interface GateShoppersOptions {
  entries: readonly EntryGate[];
  /** Without exit gates, shoppers leave through the entry gates' request-to-exit buttons. */
  exits: readonly ExitGate[];
  /** The store id the tokens are for (their `aud`). */
  audience: string;
  signingKey: SimSigningKey;
  clock: Clock;
  random: Random;
  /** Mean time between two arrivals at the entry gates; 0 = nobody comes. */
  everySeconds: number;
  /** Mean time between two fire drills; 0 = never. */
  fireDrillEveryMinutes: number;
  /** What the person who resets the fire panel does once the alarm is over and everyone is out. */
  resetEmergency?: () => void;
  log: Logger;
  habits?: Partial<GateHabits>;
}

/** What the simulated store needs from its caller to send shoppers through its gates (it has the devices). */
export interface GateShoppersSetup
  extends Omit<GateShoppersOptions, 'entries' | 'exits' | 'clock' | 'random' | 'log'> {
  /** The simulated gates the shoppers use, with their models: in at the entries, out at the exits. */
  gates: readonly { id: string; role: 'entry' | 'exit'; profile: GateProfile }[];
  /** The simulated scanners and the gate each stands at; one of each kind per entry gate is used. */
  scanners: readonly { id: string; kind: 'qr' | 'palm'; gateId: string }[];
}

/**
 * Shoppers coming through the gates at random (a Poisson process), deterministic for a seed given
 * the same answers from the gates. `stop` clears every plan and releases every input the sim holds.
 */
export class GateShoppers implements SimBehaviour {
  readonly name = 'gate-shoppers';
  readonly #options: GateShoppersOptions;
  readonly #habits: GateHabits;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #crowd: GateCrowd;
  readonly #scans: EntryScans;
  readonly #drills: FireDrills;
  readonly #journeys: Journey[] = [];
  #arrival: TimerHandle | undefined;
  #arriving = true;

  /** Throws for a negative rate or a signing key that is not an Ed25519 private JWK. */
  constructor(options: GateShoppersOptions) {
    if (!(options.everySeconds >= 0))
      throw new RangeError(`everySeconds must be >= 0, not ${options.everySeconds}`);
    if (!(options.fireDrillEveryMinutes >= 0))
      throw new RangeError(`fireDrillEveryMinutes must be >= 0, not ${options.fireDrillEveryMinutes}`);
    this.#options = options;
    this.#habits = { ...defaultGateHabits, ...options.habits };
    this.#clock = options.clock;
    this.#random = options.random.fork('shoppers');
    const credentials = new EntryCredentials(
      options.audience,
      options.signingKey,
      options.random.fork('credentials'),
    );
    const crowd = new GateCrowd(options.entries, options.exits, this.#clock, this.#random, options.log);
    this.#crowd = crowd;
    this.#scans = new EntryScans({
      crowd,
      credentials,
      habits: this.#habits,
      clock: this.#clock,
      random: this.#random,
      admitted: (party, lane) => this.#walkIn(party, lane),
    });
    this.#drills = new FireDrills({
      crowd,
      clock: this.#clock,
      random: options.random.fork('fire-drills'),
      everyMinutes: options.fireDrillEveryMinutes,
      resetEmergency: options.resetEmergency,
      evacuate: (party) => this.#evacuate(party),
      log: options.log,
    });
  }

  /** Every journey so far, finished or under way, oldest first; live objects. */
  get journeys(): readonly Journey[] {
    return this.#journeys;
  }

  get drills(): readonly FireDrill[] {
    return this.#drills.all;
  }

  /** People in the store now, as the shoppers know it. */
  get inside(): number {
    return this.#crowd.inside;
  }

  /**
   * The parties shopping in the store now (through the gate, not yet heading out), by their journey's
   * id, oldest first: the ones who may be at a shelf.
   */
  get partiesInside(): readonly number[] {
    const ids: number[] = [];
    for (const party of this.#crowd.parties) if (party.phase === 'inside') ids.push(party.journey.id);
    return ids;
  }

  /** Hears each journey as it ends (the last of them out, or they gave up); returns the unsubscriber. */
  onJourney(listener: (journey: Journey) => void): () => void {
    return this.#crowd.onJourney(listener);
  }

  /** Closing time: nobody new arrives; the shoppers inside finish and leave. */
  stopArrivals(): void {
    this.#arriving = false;
    if (this.#arrival !== undefined) this.#crowd.clear(this.#arrival);
    this.#arrival = undefined;
  }

  start(): void {
    if (this.#crowd.running) return;
    this.#crowd.start();
    this.#scheduleArrival();
    this.#drills.schedule();
  }

  /** Ends the day at once: every plan dropped (journeys under way stay unfinished), every input released. */
  stop(): void {
    if (!this.#crowd.running) return;
    this.#crowd.stop();
    this.#arrival = undefined;
    this.#drills.stop();
  }

  // Arrivals.

  #scheduleArrival(): void {
    const { everySeconds } = this.#options;
    if (!this.#crowd.running || !this.#arriving || everySeconds === 0 || this.#crowd.entries.length === 0)
      return;
    this.#arrival = this.#crowd.after(this.#random.exponential(everySeconds * 1000), () => this.#arrive());
  }

  #arrive(): void {
    this.#scheduleArrival();
    // Nobody walks into a store whose fire alarm rings, nor until someone has reset it.
    if (this.#drills.current) return;
    const random = this.#random;
    const habits = this.#habits;
    const scanning = this.#crowd.entries.filter((lane) => lane.qr !== undefined || lane.palm !== undefined);
    const forced = random.next() < habits.force;
    if (!forced && scanning.length === 0) return;
    const lane = random.pick(forced ? this.#crowd.entries : scanning);
    const kind: CredentialKind = lane.palm && (!lane.qr || random.next() < habits.palm) ? 'palm' : 'qr';
    const grouped = !forced && kind === 'qr' && habits.maxParty > 1 && random.next() < habits.group;
    const journey: Journey = {
      id: this.#journeys.length + 1,
      gateId: lane.gateId,
      arrivedAt: this.#clock.now(),
      partySize: grouped ? 2 + random.int(habits.maxParty - 1) : 1,
      attempts: [],
      forced,
      walkedIn: 0,
      tailgaters: 0,
      exits: [],
    };
    this.#journeys.push(journey);
    const party = this.#crowd.join(journey);
    const flaw = forced || kind === 'palm' ? undefined : this.#scans.flaw();
    const arrives = forced ? 'simulated shopper arrives to force the gate' : 'simulated shopper arrives';
    this.#crowd.log(journey, arrives, { party: journey.partySize });
    this.#crowd.queue(party, lane, () =>
      this.#crowd.after(
        random.between(1000, 3000),
        forced ? () => this.#force(party, lane) : () => this.#scans.scan(party, lane, kind, flaw),
        party,
      ),
    );
  }

  // In.

  /** The gate opened: the party walks in, a tailgater maybe right behind the last of them. */
  #walkIn(party: Party, lane: Lane): void {
    party.phase = 'walkingIn';
    const { journey } = party;
    const tailgate = this.#random.next() < this.#habits.tailgate;
    const through = (k: number) => {
      journey.enteredAt ??= this.#clock.now();
      if (k < journey.partySize) journey.walkedIn += 1;
      else journey.tailgaters += 1;
      party.inside += 1;
    };
    if (lane.profile.unlock.mode === 'hold') {
      const crossings = lane.plan(
        journey.partySize,
        this.#random.between(200, 500),
        this.#habits.closeFollow,
      );
      const tailgater = tailgate ? lane.tailgater(crossings.at(-1) as Crossing) : undefined;
      const quiet = lane.walk('in', tailgater ? [...crossings, tailgater] : crossings, through);
      this.#crowd.after(quiet, () => this.#inside(party, lane), party);
      return;
    }
    // One pulse, one person: each next one waits for the pulse the gate gives after the one ahead.
    const next = (k: number) => {
      const crossing = lane.crossing(this.#random.between(50, 200));
      const last = k === journey.partySize - 1;
      const tailgater = last && tailgate ? lane.tailgater(crossing) : undefined;
      const quiet = lane.walk('in', tailgater ? [crossing, tailgater] : [crossing], (j) => {
        through(j === 0 ? k : journey.partySize);
        if (j !== 0 || last) return;
        const since = this.#clock.now();
        this.#crowd.awaitUnlock(party, lane, since, lane.profile.timing.entryWindowMs, {
          opened: () => next(k + 1),
          // No pulse came: the rest of the party stays out.
          gaveUp: () => this.#inside(party, lane),
        });
      });
      if (last) this.#crowd.after(quiet, () => this.#inside(party, lane), party);
    };
    next(0);
  }

  /** Pushes the door or climbs over the arm of a locked gate. */
  #force(party: Party, lane: Lane): void {
    party.phase = 'walkingIn';
    const quiet = lane.walk('in', [lane.crossing(this.#random.between(300, 800))], () => {
      party.journey.enteredAt = this.#clock.now();
      party.journey.walkedIn += 1;
      party.inside += 1;
    });
    this.#crowd.after(quiet, () => this.#inside(party, lane), party);
  }

  #inside(party: Party, lane: Lane): void {
    this.#crowd.releaseLane(lane, 0);
    const { journey } = party;
    party.phase = 'inside';
    journey.outcome = journey.forced ? 'forced' : 'entered';
    this.#crowd.log(journey, 'simulated shopper in the store', {
      walkedIn: journey.walkedIn,
      tailgaters: journey.tailgaters,
    });
    if (this.#drills.current) this.#evacuate(party);
    else {
      const mean = this.#habits.stayMinutes * 60_000;
      const stay = Math.min(3 * mean, Math.max(mean / 4, this.#random.exponential(mean)));
      this.#crowd.after(stay, () => this.#leave(party), party);
    }
  }

  // Out.

  #leave(party: Party): void {
    party.phase = 'leaving';
    const lane = this.#random.pick(this.#crowd.exits.length > 0 ? this.#crowd.exits : this.#crowd.entries);
    this.#crowd.queue(party, lane, () =>
      this.#crowd.after(this.#random.between(1000, 3000), () => this.#goOut(party, lane, 0), party),
    );
  }

  /** Everyone inside heads for the gate with the shortest queue and walks out as soon as it is theirs. */
  #evacuate(party: Party): void {
    party.phase = 'leaving';
    party.evacuating = true;
    const lanes = this.#crowd.lanes;
    const load = (lane: Lane) => lane.queue.length + (lane.user ? 1 : 0);
    const least = Math.min(...lanes.map(load));
    const lane = this.#random.pick(lanes.filter((l) => load(l) === least));
    this.#crowd.after(
      this.#random.between(3000, 15_000),
      () =>
        this.#crowd.queue(party, lane, () =>
          this.#crowd.after(this.#random.between(200, 600), () => this.#goOut(party, lane, 0), party),
        ),
      party,
    );
  }

  /** The party at the gate on its way out: through an open gate together, or one by one by the button. */
  #goOut(party: Party, lane: Lane, presses: number): void {
    if (party.inside === 0) {
      this.#crowd.releaseLane(lane, 0);
      this.#crowd.end(party);
      return;
    }
    const profile = lane.profile;
    const free = lane.role === 'exit' && profile.egress === 'free';
    // In a fire drill the gates stand open: nobody waits for a button.
    const openNow = this.#drills.current !== undefined && lane.chip.level('unlock') === 1;
    if (free || openNow || !profile.inputs.exitRequest) {
      const how = this.#drills.current ? 'evacuation' : free ? 'free' : 'forced';
      this.#walkOut(party, lane, party.inside, how, true);
      return;
    }
    const pressedAt = this.#clock.now();
    lane.pressButton();
    this.#crowd.awaitUnlock(party, lane, pressedAt, this.#random.between(3000, 5000), {
      opened: () => this.#walkOut(party, lane, 1, 'request', false),
      // Nothing happens: press again, twice; then out anyway (a door gives way to a push from inside).
      gaveUp: () =>
        presses < 2 ? this.#goOut(party, lane, presses + 1) : this.#walkOut(party, lane, 1, 'forced', false),
    });
  }

  #walkOut(party: Party, lane: Lane, people: number, how: GateExit['how'], close: boolean): void {
    const crossings = lane.plan(people, this.#random.between(200, 500), close ? this.#habits.closeFollow : 0);
    const quiet = lane.walk('out', crossings, () => {
      party.inside -= 1;
      party.journey.exits.push({ gateId: lane.gateId, at: this.#clock.now(), how });
      const drill = this.#drills.current;
      if (how === 'evacuation' && drill) drill.evacuated += 1;
    });
    // The next one presses once the gate has locked again behind this one.
    const settle = quiet + lane.settleMs + this.#random.between(0, 600);
    this.#crowd.after(settle, () => this.#goOut(party, lane, 0), party);
  }
}
