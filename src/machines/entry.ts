// Who may come in: the store's answer to a credential at an entry gate. Local checks first (the
// store's mode, the QR token's signature and claims), then the cloud when it is connected, then the
// single use of the token and the start of the trip, both only if the gate is still waiting.
//
// Offline policy (docs/protocol.md): a QR token the hub verified is let in when the cloud is away,
// slow or answers with an error; a palm is refused, because only the cloud can match it.
import { createHmac, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { QrTokenVerifier } from '../credentials/qr-token.js';
import type { Clock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import type { Authorise, Decision } from './gate.js';
import { inEmergency, type StoreActor } from './store.js';

/** The cloud as the entry desk sees it. */
export interface EntryCloud {
  /** Whether the uplink is streaming now; an offline cloud is not asked at all. */
  online(): boolean;
  /** Sends `entry.authorize`; rejects on timeout, disconnection or an error answer. */
  ask(params: Record<string, unknown>, timeoutMs: number): Promise<unknown>;
}

export interface EntryOptions {
  store: StoreActor;
  /** Undefined when the configuration has no QR keys: every QR code is then refused. */
  qr: QrTokenVerifier | undefined;
  cloud: EntryCloud;
  cloudTimeoutMs: number;
  /** Keys the salted hash that stands for a palm in events; kept in the data directory. */
  palmSalt: Buffer;
  clock: Pick<Clock, 'now'>;
  /** The largest party one credential may bring in (`credentials.qr.maxPartySize`). */
  maxPartySize: number;
  /** Hears of answers from the cloud that are not answers; never of a credential. */
  log: Logger;
  /** Whether the store's rules close it now (a critical device down, a shelf unseen). */
  closedByRules?: () => boolean;
  newTripId?: () => string;
}

const cloudAnswer = z.union([
  z.object({ allow: z.literal(true), partySize: z.number().int().min(1).max(50).optional() }),
  z.object({ allow: z.literal(false), reason: z.string().optional() }),
]);

const deny = (reason: string, detail?: string): Decision => ({
  allow: false,
  reason,
  ...(detail ? { detail } : {}),
});

/** A palm handle as events may carry it: a keyed hash, useless without this hub's salt. */
export function palmRef(handle: string, salt: Buffer): string {
  return `palm:${createHmac('sha256', salt).update(handle).digest('base64url').slice(0, 22)}`;
}

/** The authoriser the entry gates use. */
export function entryDesk(options: EntryOptions): Authorise {
  const { store, qr, cloud, clock } = options;
  const newTripId = options.newTripId ?? randomUUID;
  let nonsense = 0;
  /** The cloud answered, but not with an answer: counted, logged now and then, decided as if it were away. */
  const notAnAnswer = (issue: string) => {
    nonsense++;
    if (nonsense === 1 || nonsense % 100 === 0)
      options.log.warn(
        { issue, count: nonsense },
        'entry.authorize answered with something that is not an answer; deciding as if the cloud were away',
      );
  };
  const closedReason = (): string | undefined => {
    const snapshot = store.getSnapshot();
    if (inEmergency(snapshot)) return 'emergency';
    if (snapshot.context.mode === 'closed' || options.closedByRules?.()) return 'store_closed';
    return undefined;
  };

  return async ({ gateId, credentialKind, scan }, signal) => {
    const closed = closedReason();
    if (closed) return deny(closed);
    const code = scan.credential.reveal();
    let partySize = 1;
    let cloudRef = code;
    let eventRef: string;
    let claim = () => true;
    if (credentialKind === 'qr') {
      if (!qr) return deny('qr_not_configured');
      const token = qr.check(code, clock.now());
      if (!token.ok) return deny(token.reason);
      ({ partySize, claim } = token);
      cloudRef = token.jti;
      eventRef = `qr:${token.jti}`;
    } else eventRef = palmRef(code, options.palmSalt);

    if (cloud.online()) {
      const params = { gateId, credentialKind, credentialRef: cloudRef, partySize };
      const answer = await cloud.ask(params, options.cloudTimeoutMs).then(
        (result) => cloudAnswer.safeParse(result),
        () => undefined,
      );
      if (answer && !answer.success) notAnAnswer(answer.error.issues[0]?.message ?? 'invalid');
      if (answer?.success) {
        if (!answer.data.allow) return deny('cloud_denied', answer.data.reason?.slice(0, 200));
        const granted = answer.data.partySize;
        // A palm's party is the cloud's to say, within the hub's limit; a token's never grows.
        partySize =
          credentialKind === 'palm'
            ? Math.min(granted ?? 1, options.maxPartySize)
            : Math.min(partySize, granted ?? partySize);
      } else if (credentialKind === 'palm') return deny('cloud_unreachable');
    } else if (credentialKind === 'palm') return deny('cloud_unreachable');

    // The gate gave up waiting, or the store closed meanwhile: commit nothing.
    if (signal.aborted) return deny('timeout');
    const closedNow = closedReason();
    if (closedNow) return deny(closedNow);
    if (!claim()) return deny('replayed');
    const tripId = newTripId();
    store.send({
      type: 'trip.start',
      trip: { tripId, gateId, credentialKind, partySize },
      credentialRef: eventRef,
    });
    return { allow: true, partySize, tripId };
  };
}
