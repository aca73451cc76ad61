// QR entry tokens: signed by the cloud, verified here, so entry keeps working while the cloud is away.
// The profile (docs/protocol.md, "QR entry tokens"): JWS compact (RFC 7515) signed with EdDSA
// (Ed25519), `kid` naming one of the configured public keys; claims `aud` (the store), `exp`, `jti`,
// optional `nbf` and `party`. A token is used once: its `jti` is claimed in the replay cache only
// after everything else holds, so a forged or expired token never burns a real one.
//
// The token itself is a secret (whoever holds it can enter): it is never logged or put in an event;
// a denial says why in a word a technician can look up.
//
// Verification is synchronous (fast-jwt over Node's own Ed25519): a scan is decided in one turn of
// the event loop, so nothing else the hub does (a shelf batch, an outbox fsync) can slip in between
// the code arriving and the gate opening.
import { createPublicKey } from 'node:crypto';
import { createDecoder, createVerifier, TokenError } from 'fast-jwt';
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
// 120 leaves room for the "qr:" prefix the trip's credentialRef adds within the catalogue's 128.
const MAX_JTI = 120;

const refuse = (reason: TokenRefusal, detail: string): TokenRefused => ({ ok: false, reason, detail });

type Verify = (token: string) => Record<string, unknown>;

const readHeader = createDecoder({ complete: true }) as (token: string) => {
  header: Record<string, unknown>;
};

export class QrTokenVerifier {
  readonly #settings: QrTokenSettings;
  readonly #cache: ReplayCache;
  /** Each key's public key, PEM, by key id. */
  readonly #keys = new Map<string, string>();
  /** Each key's verifier for the present second: JWT times are whole seconds, so one serves a second. */
  readonly #verifiers = new Map<string, { second: number; verify: Verify }>();

  constructor(settings: QrTokenSettings, cache: ReplayCache) {
    this.#settings = settings;
    this.#cache = cache;
    for (const { kid, x } of settings.keys)
      this.#keys.set(
        kid,
        createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
          .export({ type: 'spki', format: 'pem' })
          .toString(),
      );
  }

  /** Checks the code a scanner read at `now` (ms since the epoch); a good token is claimed, once. */
  verify(code: string, now: number): TokenVerdict {
    const checked = this.check(code, now);
    if (!checked.ok) return checked;
    const { claim, ...token } = checked;
    return claim() ? token : refuse('replayed', 'this token was used before');
  }

  /**
   * Every check but the single use, which the caller makes with `claim` once it has decided to open
   * the gate (after the cloud's answer): a token someone else asks about meanwhile is not burnt.
   * A token already used is refused here, without waiting for anyone.
   */
  check(code: string, now: number): TokenCheck {
    const s = this.#settings;
    if (Buffer.byteLength(code, 'utf8') > s.maxTokenBytes)
      return refuse('oversized', `longer than ${s.maxTokenBytes} bytes`);
    if (!COMPACT.test(code)) return refuse('malformed', 'not a JWS compact token');
    let payload: Record<string, unknown>;
    try {
      const { kid } = readHeader(code).header;
      if (typeof kid !== 'string') return refuse('unknown_key', 'the header names no kid');
      const verify = this.#verifierFor(kid, now);
      if (!verify) return refuse('unknown_key', `no key "${kid.slice(0, 64)}" is configured`);
      payload = verify(code);
    } catch (err) {
      return refusalOf(err);
    }
    const { jti, exp } = payload;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI)
      return refuse('bad_claims', `jti must be 1-${MAX_JTI} characters`);
    const party = payload.party ?? 1;
    if (!Number.isInteger(party) || (party as number) < 1 || (party as number) > s.maxPartySize)
      return refuse('bad_claims', `party must be a whole number from 1 to ${s.maxPartySize}`);
    const expiresAt = (exp as number) * 1000;
    if (this.#cache.seen(jti)) return refuse('replayed', 'this token was used before');
    const subject = typeof payload.sub === 'string' ? payload.sub : undefined;
    const claim = () => this.#cache.claim(jti, expiresAt + s.clockSkewSeconds * 1000, now);
    return { ok: true, jti, partySize: party as number, subject, expiresAt, claim };
  }

  #verifierFor(kid: string, now: number): Verify | undefined {
    const key = this.#keys.get(kid);
    if (!key) return undefined;
    const second = Math.floor(now / 1000);
    const cached = this.#verifiers.get(kid);
    if (cached?.second === second) return cached.verify;
    const s = this.#settings;
    const verify = createVerifier({
      key,
      algorithms: ['EdDSA'],
      allowedAud: s.audience,
      clockTimestamp: second * 1000,
      clockTolerance: s.clockSkewSeconds * 1000,
      requiredClaims: ['aud', 'exp', 'jti'],
      cache: false,
    }) as Verify;
    this.#verifiers.set(kid, { second, verify });
    return verify;
  }
}

function refusalOf(err: unknown): TokenRefused {
  if (!(err instanceof TokenError)) return refuse('malformed', 'cannot be read');
  const codes = TokenError.codes;
  switch (err.code) {
    case codes.expired:
      return refuse('expired', 'exp is past');
    case codes.inactive:
      return refuse('not_yet_valid', 'nbf is still ahead');
    case codes.invalidSignature:
    case codes.missingSignature:
      return refuse('bad_signature', 'the signature does not verify');
    case codes.invalidAlgorithm:
      return refuse('malformed', 'not signed with EdDSA');
    case codes.invalidClaimValue:
    case codes.invalidClaimType:
      if (/\baud\b/.test(err.message) && err.code === codes.invalidClaimValue)
        return refuse('wrong_audience', 'aud does not name this store');
      return refuse('bad_claims', err.message.replace(/^The /, '').replace(/\.$/, ''));
    case codes.missingRequiredClaim:
    case codes.invalidPayload:
      return refuse('bad_claims', err.message.replace(/^The /, '').replace(/\.$/, ''));
    default:
      return refuse('malformed', err.code.replace(/^FAST_JWT_/, '').toLowerCase());
  }
}
