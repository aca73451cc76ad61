// What the gate shoppers are like and what they leave behind: the habits that make one arrival unlike
// the next, and the truth of every journey and fire drill, kept as it happened so that tests and the
// end-to-end run can score what the daemon made of it. What a shopper showed is kept as a Secret.
import type { EventData } from '../events/catalogue.js';
import type { Secret } from '../system/secret.js';
import type { CredentialFlaw } from './gate-credentials.js';

export type CredentialKind = Exclude<EventData<'entry.denied'>['credentialKind'], 'command'>;

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
