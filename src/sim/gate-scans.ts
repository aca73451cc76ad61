// Shoppers at an entry gate's scanners: what each holds up (a QR token or a palm; now and then an
// expired, early or forged token, a screenshot of someone else's, or a code that is no token at all),
// the wait for the gate to decide, and one more try with a fresh good token when it did not open.
// Credentials never reach a log: a token is logged by its jti at most.
import type { SimScanner } from '../drivers/scanner/sim.js';
import type { Clock } from '../system/clock.js';
import type { Random } from '../system/random.js';
import { Secret } from '../system/secret.js';
import type { CredentialFlaw, EntryCredentials, EntryToken } from './gate-credentials.js';
import type { GateCrowd, Lane, Party } from './gate-crowd.js';
import type { CredentialKind, GateAttempt, GateHabits } from './gate-journeys.js';

const USED_TOKENS_KEPT = 20;

export interface EntryScansOptions {
  crowd: GateCrowd;
  credentials: EntryCredentials;
  habits: GateHabits;
  clock: Clock;
  /** The shoppers' own chance: a scan draws on it in turn with the rest of their journey. */
  random: Random;
  /** What the party does once the gate has opened for it. */
  admitted: (party: Party, lane: Lane) => void;
}

/** The credentials shoppers show at the entry gates, and what they do when a gate opens or does not. */
export class EntryScans {
  readonly #crowd: GateCrowd;
  readonly #credentials: EntryCredentials;
  readonly #habits: GateHabits;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #admitted: (party: Party, lane: Lane) => void;
  /** Tokens that opened a gate and have not expired: what a replayer shows. */
  readonly #used: EntryToken[] = [];

  constructor(options: EntryScansOptions) {
    this.#crowd = options.crowd;
    this.#credentials = options.credentials;
    this.#habits = options.habits;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#admitted = options.admitted;
  }

  /** What is wrong with the token a QR shopper brings, by the habits' chances; undefined for a good one. */
  flaw(): CredentialFlaw | undefined {
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

  /** Holds a credential to the scanner and waits for the gate; one more try with a good token maybe. */
  scan(
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
    this.#crowd.log(journey, 'simulated shopper scans', {
      credentialKind: kind,
      ...(shown.jti ? { jti: shown.jti } : {}),
      ...(shown.flaw ? { flaw: shown.flaw } : {}),
      heard: attempt.heard,
    });
    // Patient enough for the gate to decide: it refuses by itself once its authorise time is up.
    const patience = lane.profile.timing.authoriseTimeoutMs + this.#random.between(1000, 3000);
    this.#crowd.awaitUnlock(party, lane, at, patience, {
      opened: () => {
        attempt.opened = true;
        if (shown.token) this.#remember(shown.token);
        this.#admitted(party, lane);
      },
      gaveUp: () => {
        if (!retried && lane.qr && this.#random.next() < this.#habits.retry)
          this.#crowd.after(
            this.#random.between(2000, 6000),
            () => this.scan(party, lane, 'qr', undefined, true),
            party,
          );
        else {
          this.#crowd.releaseLane(lane, 0);
          this.#crowd.end(party, 'notAdmitted');
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
}
