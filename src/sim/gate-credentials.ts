// What simulated shoppers show at the entry gates: QR entry tokens signed the way the store's cloud
// signs them (docs/protocol.md, "QR entry tokens"), the bad ones people turn up with now and then,
// palms and codes that are no token at all.
//
// Tokens are signed with fast-jwt, whose Ed25519 signing is synchronous (jose's runs on the thread
// pool): a scan then happens at the same simulated moment however busy the machine is, and a run
// stays the same for a seed. The result is a standard JWS that any JWT library verifies.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import type { TokenRefusal } from '../credentials/qr-token.js';
import type { Random } from '../system/random.js';

/** The simulated cloud's private Ed25519 key as a JWK (what jose's `exportJWK` gives), with its kid. */
export interface SimSigningKey {
  kty?: string;
  crv: string;
  x: string;
  d: string;
  kid: string;
}

/**
 * What is wrong with a credential: a token past its `exp` or before its `nbf`, signed by another key
 * under the store's kid (`forged_key`) or under a kid the hub does not know (`unknown_key`), a good
 * token with its signature altered (`tampered`), one already used (`replayed`), or a code that is no
 * token at all (`garbage`).
 */
export type CredentialFlaw =
  | 'expired'
  | 'not_yet_valid'
  | 'forged_key'
  | 'unknown_key'
  | 'tampered'
  | 'replayed'
  | 'garbage';

/** What a hub checking tokens as docs/protocol.md says refuses each flaw with. */
export const refusalFor: Readonly<Record<CredentialFlaw, TokenRefusal>> = {
  expired: 'expired',
  not_yet_valid: 'not_yet_valid',
  forged_key: 'bad_signature',
  unknown_key: 'unknown_key',
  tampered: 'bad_signature',
  replayed: 'replayed',
  garbage: 'malformed',
};

/** The flaws a freshly minted token can have (a replay is an old token, garbage no token). */
export type MintFlaw = Extract<
  CredentialFlaw,
  'expired' | 'not_yet_valid' | 'forged_key' | 'unknown_key' | 'tampered'
>;

export interface EntryToken {
  code: string;
  jti: string;
  /** When the token's `exp` passes, ms since the epoch. */
  expiresAt: number;
}

/** How long a good token is valid: a few minutes, as the cloud mints them. */
const LIFETIME_S = 300;
/** Past or ahead by this much at least: the hub's clock-skew allowance (30 s by default) cannot save it. */
const BEYOND_SKEW_S = 120;
// PKCS #8 for an Ed25519 private key: this prefix, then the 32-byte seed.
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

type Sign = (claims: Record<string, unknown>) => string;

/** A synchronous EdDSA signer putting `kid` in the header; `iat` is the caller's. */
const signerOf = (key: KeyObject, kid: string): Sign =>
  createSigner({
    key: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    algorithm: 'EdDSA',
    kid,
    noTimestamp: true,
  }) as Sign;

/** Mints entry tokens and the other things shoppers hold to the scanners. */
export class EntryCredentials {
  readonly #audience: string;
  readonly #kid: string;
  readonly #sign: Sign;
  /** The same key under a kid the hub does not know. */
  readonly #signUnknownKid: Sign;
  /** A key the hub has never seen, under the store's kid: forgeries. */
  readonly #forge: Sign;
  readonly #random: Random;
  #serial = 0;

  /** Throws when `signingKey` is not an Ed25519 private key (without quoting it). */
  constructor(audience: string, signingKey: SimSigningKey, random: Random) {
    this.#audience = audience;
    this.#kid = signingKey.kid;
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: { ...signingKey, kty: 'OKP' }, format: 'jwk' });
    } catch (err) {
      throw new Error(
        `the simulated cloud's signing key is not an Ed25519 private JWK: ${(err as Error).message}`,
      );
    }
    if (key.asymmetricKeyType !== 'ed25519')
      throw new Error(`the simulated cloud's signing key is ${key.asymmetricKeyType}, not Ed25519`);
    this.#random = random;
    const seed = Buffer.from(Array.from({ length: 32 }, () => random.int(256)));
    const forger = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    this.#sign = signerOf(key, this.#kid);
    this.#signUnknownKid = signerOf(key, `${this.#kid}-old`);
    this.#forge = signerOf(forger, this.#kid);
  }

  /**
   * A token for `party` people at `now` (ms), good unless `flaw` says how it is not. Its jti is new
   * for every token and carries the time, so a restarted simulation never replays an earlier run's.
   */
  token(now: number, party: number, flaw?: MintFlaw): EntryToken {
    const nowS = Math.floor(now / 1000);
    const jti = `sim-${now.toString(36)}-${(++this.#serial).toString(36)}`;
    let exp = nowS + LIFETIME_S;
    const claims: Record<string, unknown> = { aud: this.#audience, jti, iat: nowS };
    if (flaw === 'expired') {
      exp = nowS - Math.round(this.#random.between(BEYOND_SKEW_S, 3600));
      claims.iat = exp - LIFETIME_S;
    } else if (flaw === 'not_yet_valid') {
      claims.nbf = nowS + Math.round(this.#random.between(BEYOND_SKEW_S, 1800));
      exp = (claims.nbf as number) + LIFETIME_S;
    }
    claims.exp = exp;
    if (party > 1) claims.party = party;
    const sign =
      flaw === 'unknown_key' ? this.#signUnknownKid : flaw === 'forged_key' ? this.#forge : this.#sign;
    let code = sign(claims);
    if (flaw === 'tampered') {
      const cut = code.lastIndexOf('.') + 1;
      code = code.slice(0, cut) + this.#tamper(code.slice(cut));
    }
    return { code, jti, expiresAt: exp * 1000 };
  }

  /** A palm as the palm scanner hands it on: an opaque handle. */
  palm(): string {
    return `palm-sim-${String(this.#random.int(1_000_000)).padStart(6, '0')}`;
  }

  /** A code that is no token: a product's barcode, a loyalty card, a web address from a poster. */
  garbage(): string {
    const digits = (n: number) => Array.from({ length: n }, () => this.#random.int(10)).join('');
    switch (this.#random.int(3)) {
      case 0:
        return digits(13);
      case 1:
        return `LOYALTY-${digits(10)}`;
      default:
        return `https://example.com/offer/${digits(6)}`;
    }
  }

  /** One character of the signature changed, well inside it (the last one carries padding bits). */
  #tamper(signature: string): string {
    const at = 8 + this.#random.int(signature.length - 16);
    const was = BASE64URL.indexOf(signature.charAt(at));
    const now = BASE64URL.charAt((was + 1 + this.#random.int(63)) % 64);
    return `${signature.slice(0, at)}${now}${signature.slice(at + 1)}`;
  }
}
