// QR entry tokens: signed by the cloud, verified here, so entry keeps working while the cloud is away.
// The profile (docs/protocol.md, "QR entry tokens"): JWS compact (RFC 7515) signed with EdDSA
// (Ed25519), `kid` naming one of the configured public keys; claims `aud` (the store), `exp`, `jti`,
// optional `nbf` and `party`. A token is used once: its `jti` is claimed in the replay cache only
// after everything else holds, so a forged or expired token never burns a real one.
//
// The token itself is a secret (whoever holds it can enter): it is never logged or put in an event;
// a denial says why in a word a technician can look up.
import { type CryptoKey, errors, importJWK, type JWTPayload, jwtVerify } from 'jose';
import type { ReplayCache } from './replay-cache.js';

/** Why a token was refused; each is a denial reason a technician can look up. */
export type TokenRefusal =
  | 'malformed'
  | 'oversized'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'bad_claims'
  | 'replayed';

export interface QrKey {
  /** The `kid` the cloud puts in a token's header. */
  kid: string;
  /** The Ed25519 public key: the 32 bytes, base64url (the `x` of its JWK). */
  x: string;
}

export interface QrTokenSettings {
  /** The store's id: a token's `aud` must name it. */
  audience: string;
  keys: readonly QrKey[];
  /** How far the hub's and the cloud's clocks may disagree, s. */
  clockSkewSeconds: number;
  /** Longer codes are refused unread. */
  maxTokenBytes: number;
  /** The largest `party` a token may claim. */
  maxPartySize: number;
}

export interface GoodToken {
  ok: true;
  jti: string;
  partySize: number;
  subject: string | undefined;
  expiresAt: number;
}

export interface TokenRefused {
  ok: false;
  reason: TokenRefusal;
  detail: string;
}

export type TokenVerdict = GoodToken | TokenRefused;

/** A token that passed every check but its single use: `claim` uses it up, false if someone was first. */
export type TokenCheck = (GoodToken & { claim: () => boolean }) | TokenRefused;

/** A JWS compact serialisation: three base64url parts, the payload not empty. */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_JTI = 128;

const refuse = (reason: TokenRefusal, detail: string): TokenRefused => ({ ok: false, reason, detail });

export class QrTokenVerifier {
  readonly #settings: QrTokenSettings;
  readonly #cache: ReplayCache;
  readonly #keys = new Map<string, Promise<CryptoKey | Uint8Array>>();

  constructor(settings: QrTokenSettings, cache: ReplayCache) {
    this.#settings = settings;
    this.#cache = cache;
    for (const key of settings.keys)
      this.#keys.set(key.kid, importJWK({ kty: 'OKP', crv: 'Ed25519', x: key.x }, 'EdDSA'));
  }

  /** Checks the code a scanner read at `now` (ms since the epoch); a good token is claimed, once. */
  async verify(code: string, now: number): Promise<TokenVerdict> {
    const checked = await this.check(code, now);
    if (!checked.ok) return checked;
    const { claim, ...token } = checked;
    return claim() ? token : refuse('replayed', 'this token was used before');
  }

  /**
   * Every check but the single use, which the caller makes with `claim` once it has decided to open
   * the gate (after the cloud's answer): a token someone else asks about meanwhile is not burnt.
   * A token already used is refused here, without waiting for anyone.
   */
  async check(code: string, now: number): Promise<TokenCheck> {
    const s = this.#settings;
    if (Buffer.byteLength(code, 'utf8') > s.maxTokenBytes)
      return refuse('oversized', `longer than ${s.maxTokenBytes} bytes`);
    if (!COMPACT.test(code)) return refuse('malformed', 'not a JWS compact token');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        code,
        async (header) => {
          const key = header.kid === undefined ? undefined : this.#keys.get(header.kid);
          if (!key) throw new UnknownKey(header.kid);
          return key;
        },
        {
          algorithms: ['EdDSA'],
          audience: s.audience,
          clockTolerance: s.clockSkewSeconds,
          currentDate: new Date(now),
          requiredClaims: ['exp', 'jti'],
        },
      ));
    } catch (err) {
      return refusalOf(err);
    }
    const jti = payload.jti as string;
    if (jti.length === 0 || jti.length > MAX_JTI)
      return refuse('bad_claims', `jti must be 1-${MAX_JTI} characters`);
    const party = payload.party ?? 1;
    if (!Number.isInteger(party) || (party as number) < 1 || (party as number) > s.maxPartySize)
      return refuse('bad_claims', `party must be a whole number from 1 to ${s.maxPartySize}`);
    const expiresAt = (payload.exp as number) * 1000;
    if (this.#cache.seen(jti)) return refuse('replayed', 'this token was used before');
    const subject = typeof payload.sub === 'string' ? payload.sub : undefined;
    const claim = () => this.#cache.claim(jti, expiresAt + s.clockSkewSeconds * 1000, now);
    return { ok: true, jti, partySize: party as number, subject, expiresAt, claim };
  }
}

class UnknownKey extends Error {
  constructor(kid: string | undefined) {
    super(kid === undefined ? 'the header names no kid' : `no key "${kid}" is configured`);
  }
}

function refusalOf(err: unknown): TokenRefused {
  if (err instanceof UnknownKey) return refuse('unknown_key', err.message);
  if (err instanceof errors.JWTExpired) return refuse('expired', 'exp is past');
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return refuse('bad_signature', 'the signature does not verify');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return refuse('wrong_audience', 'aud does not name this store');
    if (err.claim === 'nbf') return refuse('not_yet_valid', 'nbf is still ahead');
    return refuse('bad_claims', `${err.claim} ${err.reason === 'missing' ? 'is missing' : 'is not valid'}`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return refuse('malformed', 'not signed with EdDSA');
  if (err instanceof errors.JOSEError) return refuse('malformed', err.code);
  return refuse('malformed', 'cannot be read');
}
