// Shoppers at the gates: they arrive at an entry gate alone or in groups, show a QR token or a palm
// (now and then a bad token or a code that is no token at all), wait for the gate to open and walk
// through its beams; a tailgater slips in behind a party now and then, someone forces the gate. After
// a while in the store they leave by an exit gate, pressing its button where egress is on request. A
// fire drill now and then sends everyone out through any gate, until the sim plays the person who
// resets the alarm. The gates feel all of it on their GPIO lines, driven as the wires would be, and
// the truth of every journey is kept so tests and the end-to-end run can score what the daemon made
// of it. Credentials never reach a log: a shopper is logged by number, a token by its jti at most.
import type { GateProfile } from '../drivers/gpio/gate-profile.js';
import type { SimScanner } from '../drivers/scanner/sim.js';
import type { EventData } from '../events/catalogue.js';
import type { Clock, TimerHandle } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import type { Random } from '../system/random.js';
import { Secret } from '../system/secret.js';
import type { SimBehaviour } from './behaviour.js';
import {
  type CredentialFlaw,
  EntryCredentials,
  type EntryToken,
  type SimSigningKey,
} from './gate-credentials.js';
import { type Crossing, GateLane, type LaneDevices } from './gate-lane.js';

type CredentialKind = Exclude<EventData<'entry.denied'>['credentialKind'], 'command'>;

/** How shoppers behave; each a chance per arrival unless said otherwise. */
export interface GateHabits {
  /** At a gate with a palm scanner, the share who show a palm (they come alone). */
  palm: number;
  /** The share of QR shoppers who come as a group on one token, of 2 to `maxParty` people. */
  group: number;
  maxParty: number;
  /** The chance a QR shopper's token is each kind of bad (`forged` splits evenly into its three forms). */
  expired: number;
  notYetValid: number;
  forged: number;
  replayed: number;
  garbage: number;
  /** A shopper the gate did not open for tries once more, with a fresh good token. */
  retry: number;
  /** Someone slips in right behind an admitted party. */
  tailgate: number;
  /** An arrival pushes the door or climbs through the locked gate instead of scanning. */
  force: number;
  /** At a gate that stays open, the next of a group follows so close that the lane never empties. */
  closeFollow: number;
  /** Mean time in the store, minutes. */
  stayMinutes: number;
}

export const defaultGateHabits: GateHabits = {
  palm: 0.2,
  group: 0.25,
  maxParty: 4,
  expired: 0.03,
  notYetValid: 0.02,
  forged: 0.03,
  replayed: 0.03,
  garbage: 0.03,
  retry: 0.5,
  tailgate: 0.03,
  force: 0.02,
  closeFollow: 0.4,
  stayMinutes: 4,
};

/** One credential held to a scanner. */
export interface GateAttempt {
  at: number;
  credentialKind: CredentialKind;
  /** What is wrong with it; absent for a good one. */
  flaw?: CredentialFlaw;
  /** The token's jti, for a QR token. */
  jti?: string;
  /** What was shown, as a Secret so that a journey printed or logged never shows it. */
  code: Secret;
  /** Whether the scanner was listening (one whose cable is pulled hears nothing). */
  heard: boolean;
  /** Whether the gate opened for it. */
  opened: boolean;
}

/** One person out of the store. */
export interface GateExit {
  gateId: string;
  at: number;
  /**
   * Through a free-egress gate, by the request-to-exit button, out in a fire drill, or through a gate
   * that would not open.
   */
  how: 'free' | 'request' | 'evacuation' | 'forced';
}

/**
 * entered: in with a credential; forced: in without one; notAdmitted: the gate never opened for them;
 * turnedAway: a fire drill sent them home.
 */
export type JourneyOutcome = 'entered' | 'forced' | 'notAdmitted' | 'turnedAway';

/** What one arrival (a shopper, or a group on one credential) did, as it happened. */
export interface Journey {
  /** The shopper's number in this run: what the logs name them by. */
  id: number;
  /** The entry gate. */
  gateId: string;
  arrivedAt: number;
  /** People in the party (a tailgater not counted); 1 for a palm and for a forced entry. */
  partySize: number;
  /** The credentials shown, in order; none for a forced entry. */
  attempts: GateAttempt[];
  forced: boolean;
  /** Of the party, how many walked in. */
  walkedIn: number;
  /** When the first of them was through the gate. */
  enteredAt?: number;
  /** Strangers who slipped in behind the party. */
  tailgaters: number;
  /** Each person out, the tailgater included. */
  exits: GateExit[];
  /** Set once they are in the store or know they will not be. */
  outcome?: JourneyOutcome;
  /** When the last of them left, or they gave up. */
  endedAt?: number;
}

export interface FireDrill {
  /** The gate whose fire-alarm input was driven. */
  gateId: string;
  startedAt: number;
  clearedAt?: number;
  /** When the sim called `resetEmergency`. */
  resetAt?: number;
  /** People in the store when the alarm rang. */
  inside: number;
  /** People who walked out because of it. */
  evacuated: number;
}

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

type Lane = GateLane<Party>;

type Phase = 'arriving' | 'walkingIn' | 'inside' | 'leaving' | 'done';

interface Party {
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

const USED_TOKENS_KEPT = 20;

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
  readonly #drillRandom: Random;
  readonly #credentials: EntryCredentials;
  readonly #entries: Lane[];
  readonly #exits: Lane[];
  readonly #journeys: Journey[] = [];
  readonly #drills: FireDrill[] = [];
  readonly #parties = new Set<Party>();
  readonly #timers = new Set<TimerHandle>();
  readonly #listeners = new Set<(journey: Journey) => void>();
  /** Tokens that opened a gate and have not expired: what a replayer shows. */
  readonly #used: EntryToken[] = [];
  #drill: FireDrill | undefined;
  #arrival: TimerHandle | undefined;
  #arriving = true;
  #running = false;

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
    this.#drillRandom = options.random.fork('fire-drills');
    this.#credentials = new EntryCredentials(
      options.audience,
      options.signingKey,
      options.random.fork('credentials'),
    );
    const lane = (role: Lane['role']) => (gate: EntryGate) =>
      new GateLane<Party>(gate, role, this.#random, (ms, fn) => this.#after(ms, fn));
    this.#entries = options.entries.map(lane('entry'));
    this.#exits = options.exits.map(lane('exit'));
  }

  /** Every journey so far, finished or under way, oldest first; live objects. */
  get journeys(): readonly Journey[] {
    return this.#journeys;
  }

  get drills(): readonly FireDrill[] {
    return this.#drills;
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

  /** Closing time: nobody new arrives; the shoppers inside finish and leave. */
  stopArrivals(): void {
    this.#arriving = false;
    if (this.#arrival !== undefined) this.#clear(this.#arrival);
    this.#arrival = undefined;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduleArrival();
    this.#scheduleDrill();
  }

  /** Ends the day at once: every plan dropped (journeys under way stay unfinished), every input released. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    for (const timer of this.#timers) this.#clock.clearTimeout(timer);
    this.#timers.clear();
    this.#arrival = undefined;
    for (const party of this.#parties) this.#cancel(party);
    this.#parties.clear();
    this.#drill = undefined;
    for (const lane of [...this.#entries, ...this.#exits]) lane.release();
  }

  // Arrivals.

  #scheduleArrival(): void {
    const { everySeconds } = this.#options;
    if (!this.#running || !this.#arriving || everySeconds === 0 || this.#entries.length === 0) return;
    this.#arrival = this.#after(this.#random.exponential(everySeconds * 1000), () => this.#arrive());
  }

  #arrive(): void {
    this.#scheduleArrival();
    // Nobody walks into a store whose fire alarm rings, nor until someone has reset it.
    if (this.#drill) return;
    const random = this.#random;
    const habits = this.#habits;
    const scanning = this.#entries.filter((lane) => lane.qr !== undefined || lane.palm !== undefined);
    const forced = random.next() < habits.force;
    if (!forced && scanning.length === 0) return;
    const lane = random.pick(forced ? this.#entries : scanning);
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
    const party: Party = {
      journey,
      phase: 'arriving',
      inside: 0,
      evacuating: false,
      timers: new Set(),
      waits: new Set(),
    };
    this.#parties.add(party);
    const flaw = forced || kind === 'palm' ? undefined : this.#flaw();
    this.#log(journey, forced ? 'simulated shopper arrives to force the gate' : 'simulated shopper arrives', {
      party: journey.partySize,
    });
    this.#queue(party, lane, () =>
      this.#after(
        random.between(1000, 3000),
        forced ? () => this.#force(party, lane) : () => this.#scan(party, lane, kind, flaw),
        party,
      ),
    );
  }

  #flaw(): CredentialFlaw | undefined {
    const h = this.#habits;
    let x = this.#random.next();
    const chances: Array<[CredentialFlaw | 'forged', number]> = [
      ['expired', h.expired],
      ['not_yet_valid', h.notYetValid],
      ['forged', h.forged],
      ['replayed', h.replayed],
      ['garbage', h.garbage],
    ];
    for (const [flaw, chance] of chances) {
      if (x < chance)
        return flaw === 'forged'
          ? this.#random.pick(['forged_key', 'unknown_key', 'tampered'] as const)
          : flaw;
      x -= chance;
    }
    return undefined;
  }

  // In.

  /** Holds a credential to the scanner and waits for the gate; one more try with a good token maybe. */
  #scan(
    party: Party,
    lane: Lane,
    kind: CredentialKind,
    flaw: CredentialFlaw | undefined,
    retried = false,
  ): void {
    const { journey } = party;
    const shown = this.#credential(kind, journey.partySize, flaw);
    // The kind was chosen for a scanner the gate has (and a retry is a QR code only where one stands).
    const scanner = (kind === 'palm' ? lane.palm : lane.qr) as SimScanner;
    const at = this.#clock.now();
    const attempt: GateAttempt = {
      at,
      credentialKind: kind,
      ...(shown.flaw ? { flaw: shown.flaw } : {}),
      ...(shown.jti ? { jti: shown.jti } : {}),
      code: new Secret(shown.code),
      heard: scanner.present(shown.code),
      opened: false,
    };
    journey.attempts.push(attempt);
    this.#log(journey, 'simulated shopper scans', {
      credentialKind: kind,
      ...(shown.jti ? { jti: shown.jti } : {}),
      ...(shown.flaw ? { flaw: shown.flaw } : {}),
      heard: attempt.heard,
    });
    // Patient enough for the gate to decide: it refuses by itself once its authorise time is up.
    const patience = lane.profile.timing.authoriseTimeoutMs + this.#random.between(1000, 3000);
    this.#awaitUnlock(party, lane, at, patience, {
      opened: () => {
        attempt.opened = true;
        if (shown.token) this.#remember(shown.token);
        this.#walkIn(party, lane);
      },
      gaveUp: () => {
        if (!retried && lane.qr && this.#random.next() < this.#habits.retry)
          this.#after(
            this.#random.between(2000, 6000),
            () => this.#scan(party, lane, 'qr', undefined, true),
            party,
          );
        else {
          this.#releaseLane(lane, 0);
          this.#end(party, 'notAdmitted');
        }
      },
    });
  }

  #credential(
    kind: CredentialKind,
    party: number,
    flaw: CredentialFlaw | undefined,
  ): { code: string; jti?: string; flaw?: CredentialFlaw; token?: EntryToken } {
    if (kind === 'palm') return { code: this.#credentials.palm() };
    if (flaw === 'garbage') return { code: this.#credentials.garbage(), flaw };
    const now = this.#clock.now();
    if (flaw === 'replayed') {
      // Someone else's screenshot of a token that let them in, and has not expired yet; with nobody
      // to copy from yet, a token of their own.
      const fresh = this.#used.filter((t) => t.expiresAt > now + 60_000);
      if (fresh.length > 0) {
        const { code, jti } = this.#random.pick(fresh);
        return { code, jti, flaw };
      }
    }
    const minted = flaw === 'replayed' ? undefined : flaw;
    const token = this.#credentials.token(now, party, minted);
    return { code: token.code, jti: token.jti, ...(minted ? { flaw: minted } : {}), token };
  }

  #remember(token: EntryToken): void {
    this.#used.push(token);
    if (this.#used.length > USED_TOKENS_KEPT) this.#used.shift();
  }

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
      this.#after(quiet, () => this.#inside(party, lane), party);
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
        this.#awaitUnlock(party, lane, since, lane.profile.timing.entryWindowMs, {
          opened: () => next(k + 1),
          // No pulse came: the rest of the party stays out.
          gaveUp: () => this.#inside(party, lane),
        });
      });
      if (last) this.#after(quiet, () => this.#inside(party, lane), party);
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
    this.#after(quiet, () => this.#inside(party, lane), party);
  }

  #inside(party: Party, lane: Lane): void {
    this.#releaseLane(lane, 0);
    const { journey } = party;
    party.phase = 'inside';
    journey.outcome = journey.forced ? 'forced' : 'entered';
    this.#log(journey, 'simulated shopper in the store', {
      walkedIn: journey.walkedIn,
      tailgaters: journey.tailgaters,
    });
    if (this.#drill) this.#evacuate(party);
    else {
      const mean = this.#habits.stayMinutes * 60_000;
      const stay = Math.min(3 * mean, Math.max(mean / 4, this.#random.exponential(mean)));
      this.#after(stay, () => this.#leave(party), party);
    }
  }

  // Out.

  #leave(party: Party): void {
    party.phase = 'leaving';
    const lane = this.#random.pick(this.#exits.length > 0 ? this.#exits : this.#entries);
    this.#queue(party, lane, () =>
      this.#after(this.#random.between(1000, 3000), () => this.#goOut(party, lane, 0), party),
    );
  }

  /** Everyone inside heads for the gate with the shortest queue and walks out as soon as it is theirs. */
  #evacuate(party: Party): void {
    party.phase = 'leaving';
    party.evacuating = true;
    const lanes = [...this.#entries, ...this.#exits];
    const load = (lane: Lane) => lane.queue.length + (lane.user ? 1 : 0);
    const least = Math.min(...lanes.map(load));
    const lane = this.#random.pick(lanes.filter((l) => load(l) === least));
    this.#after(
      this.#random.between(3000, 15_000),
      () =>
        this.#queue(party, lane, () =>
          this.#after(this.#random.between(200, 600), () => this.#goOut(party, lane, 0), party),
        ),
      party,
    );
  }

  /** The party at the gate on its way out: through an open gate together, or one by one by the button. */
  #goOut(party: Party, lane: Lane, presses: number): void {
    if (party.inside === 0) {
      this.#releaseLane(lane, 0);
      this.#end(party);
      return;
    }
    const profile = lane.profile;
    const free = lane.role === 'exit' && profile.egress === 'free';
    // In a fire drill the gates stand open: nobody waits for a button.
    const openNow = this.#drill !== undefined && lane.chip.level('unlock') === 1;
    if (free || openNow || !profile.inputs.exitRequest) {
      const how = this.#drill ? 'evacuation' : free ? 'free' : 'forced';
      this.#walkOut(party, lane, party.inside, how, true);
      return;
    }
    const pressedAt = this.#clock.now();
    lane.pressButton();
    this.#awaitUnlock(party, lane, pressedAt, this.#random.between(3000, 5000), {
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
      if (how === 'evacuation' && this.#drill) this.#drill.evacuated += 1;
    });
    // The next one presses once the gate has locked again behind this one.
    const settle = quiet + lane.settleMs + this.#random.between(0, 600);
    this.#after(settle, () => this.#goOut(party, lane, 0), party);
  }

  // Fire drills.

  #scheduleDrill(): void {
    const minutes = this.#options.fireDrillEveryMinutes;
    if (!this.#running || minutes === 0 || this.#fireLanes().length === 0) return;
    this.#after(this.#drillRandom.exponential(minutes * 60_000), () => this.#startDrill());
  }

  #fireLanes(): Lane[] {
    return [...this.#entries, ...this.#exits].filter((lane) => lane.profile.inputs.fireAlarm);
  }

  #startDrill(): void {
    const random = this.#drillRandom;
    const lane = random.pick(this.#fireLanes());
    const drill: FireDrill = {
      gateId: lane.gateId,
      startedAt: this.#clock.now(),
      inside: this.inside,
      evacuated: 0,
    };
    this.#drill = drill;
    this.#drills.push(drill);
    lane.hold('fireAlarm', 1);
    this.#options.log.info(
      { gateId: lane.gateId, inside: drill.inside },
      'simulated fire drill: the alarm rings',
    );
    for (const party of [...this.#parties]) {
      if (party.phase === 'arriving') this.#turnAway(party);
      else if (
        party.phase === 'inside' ||
        (party.phase === 'leaving' && !party.evacuating && !this.#atItsGate(party))
      ) {
        this.#cancel(party);
        this.#unqueue(party);
        this.#evacuate(party);
      }
    }
    this.#after(random.between(60_000, 180_000), () => {
      lane.hold('fireAlarm', -1);
      drill.clearedAt = this.#clock.now();
      this.#options.log.info({ gateId: lane.gateId }, 'simulated fire drill: the alarm is over');
      this.#after(random.between(10_000, 30_000), () => this.#reset(drill));
    });
  }

  /** The person at the fire panel resets it once everyone is out. */
  #reset(drill: FireDrill): void {
    if ([...this.#parties].some((p) => p.inside > 0 || p.phase === 'walkingIn')) {
      this.#after(5000, () => this.#reset(drill));
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
    this.#scheduleDrill();
  }

  /** A party already at its gate on the way out keeps going; one still queued heads for the freest gate. */
  #atItsGate(party: Party): boolean {
    return [...this.#entries, ...this.#exits].some((lane) => lane.user === party);
  }

  #turnAway(party: Party): void {
    this.#cancel(party);
    this.#unqueue(party);
    for (const lane of this.#entries) if (lane.user === party) this.#releaseLane(lane, 0);
    this.#log(party.journey, 'simulated shopper turns away: fire alarm', {});
    this.#end(party, 'turnedAway');
  }

  // Lanes.

  #queue(party: Party, lane: Lane, use: () => void): void {
    party.use = use;
    lane.queue.push(party);
    this.#nextAtLane(lane);
  }

  #unqueue(party: Party): void {
    for (const lane of [...this.#entries, ...this.#exits]) {
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
  #releaseLane(lane: Lane, quietIn: number): void {
    this.#after(quietIn + lane.settleMs, () => {
      lane.user = undefined;
      this.#nextAtLane(lane);
    });
  }

  /**
   * Calls `opened` a moment (a person's reaction) after the lane's lock has been written open since
   * `since`, or `gaveUp` after `patience` ms without.
   */
  #awaitUnlock(
    party: Party,
    lane: Lane,
    since: number,
    patience: number,
    then: { opened: () => void; gaveUp: () => void },
  ): void {
    const react = () => this.#after(this.#random.between(300, 800), then.opened, party);
    if (lane.unlockedSince(since)) {
      react();
      return;
    }
    const stop = lane.chip.onOutput((name, level) => {
      if (name !== 'unlock' || level !== 1) return;
      done();
      react();
    });
    const timer = this.#after(
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
      this.#clear(timer);
    };
    party.waits.add(done);
  }

  // Bookkeeping.

  #end(party: Party, outcome?: JourneyOutcome): void {
    this.#cancel(party);
    party.phase = 'done';
    this.#parties.delete(party);
    const { journey } = party;
    if (outcome) journey.outcome = outcome;
    journey.endedAt = this.#clock.now();
    this.#log(journey, 'simulated shopper done', { outcome: journey.outcome, exits: journey.exits.length });
    for (const listener of [...this.#listeners]) listener(journey);
  }

  #cancel(party: Party): void {
    for (const done of [...party.waits]) done();
    for (const timer of party.timers) this.#clear(timer);
    party.timers.clear();
  }

  #log(journey: Journey, message: string, fields: Record<string, unknown>): void {
    this.#options.log.debug({ shopper: journey.id, gateId: journey.gateId, ...fields }, message);
  }

  #after(ms: number, fn: () => void, party?: Party): TimerHandle {
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

  #clear(timer: TimerHandle): void {
    this.#clock.clearTimeout(timer);
    this.#timers.delete(timer);
  }
}
