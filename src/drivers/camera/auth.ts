// Answers a camera's WWW-Authenticate challenge with the credentials from its URL: Basic, or Digest
// (RFC 7616, and RFC 2617/2069 as older cameras speak it: MD5 or SHA-256, qop=auth or none).
// Shared by the RTSP and HTTP probes; RTSP borrowed HTTP's scheme whole.
import { createHash, randomBytes } from 'node:crypto';
import type { CameraCredentials } from './url.js';

export interface Challenge {
  scheme: 'basic' | 'digest';
  /** Parameter names in lower case, values unquoted. */
  params: Map<string, string>;
}

// Strongest first; a camera offering several gets the first of these it offers.
const digestAlgorithms = ['sha-256', 'sha-256-sess', 'md5', 'md5-sess'];

/** The challenge this hub answers best among WWW-Authenticate values (Digest over Basic), if any. */
export function pickChallenge(values: readonly string[]): Challenge | undefined {
  const challenges = values.flatMap(parseChallenges);
  const rank = (c: Challenge) => {
    if (c.scheme === 'basic') return digestAlgorithms.length;
    const qop = c.params.get('qop');
    if (qop !== undefined && !qopList(qop).includes('auth')) return -1;
    return digestAlgorithms.indexOf((c.params.get('algorithm') ?? 'md5').toLowerCase());
  };
  const usable = challenges.filter((c) => rank(c) >= 0 && (c.scheme === 'basic' || c.params.has('nonce')));
  return usable.sort((a, b) => rank(a) - rank(b))[0];
}

/** Authorization header values for one challenge, one per request (Digest counts its nonce's uses). */
export class Authorizer {
  readonly #challenge: Challenge;
  readonly #credentials: CameraCredentials;
  readonly #cnonce: string;
  #count = 0;

  /** `cnonce` is for tests with known answers; by default it is random. */
  constructor(challenge: Challenge, credentials: CameraCredentials, cnonce = randomBytes(8).toString('hex')) {
    this.#challenge = challenge;
    this.#credentials = credentials;
    this.#cnonce = cnonce;
  }

  /** The Authorization value for `method` on `uri` (the request's URI exactly as sent). */
  header(method: string, uri: string): string {
    const { username, password } = this.#credentials;
    if (this.#challenge.scheme === 'basic') {
      return `Basic ${Buffer.from(`${username}:${password.reveal()}`).toString('base64')}`;
    }
    const p = this.#challenge.params;
    const algorithm = p.get('algorithm');
    const name = (algorithm ?? 'md5').toLowerCase();
    const hash = (text: string) =>
      createHash(name.startsWith('sha-256') ? 'sha256' : 'md5')
        .update(text)
        .digest('hex');
    const realm = p.get('realm') ?? '';
    // pickChallenge passes no Digest challenge without a nonce.
    const nonce = p.get('nonce') as string;
    let ha1 = hash(`${username}:${realm}:${password.reveal()}`);
    if (name.endsWith('-sess')) ha1 = hash(`${ha1}:${nonce}:${this.#cnonce}`);
    const ha2 = hash(`${method}:${uri}`);
    const fields = [
      `username=${quote(username)}`,
      `realm=${quote(realm)}`,
      `nonce=${quote(nonce)}`,
      `uri=${quote(uri)}`,
    ];
    const qop = p.get('qop');
    if (qop === undefined) {
      fields.push(`response="${hash(`${ha1}:${nonce}:${ha2}`)}"`);
    } else {
      this.#count += 1;
      const nc = this.#count.toString(16).padStart(8, '0');
      fields.push(
        `response="${hash(`${ha1}:${nonce}:${nc}:${this.#cnonce}:auth:${ha2}`)}"`,
        'qop=auth',
        `nc=${nc}`,
        `cnonce="${this.#cnonce}"`,
      );
    }
    if (algorithm !== undefined) fields.push(`algorithm=${algorithm}`);
    const opaque = p.get('opaque');
    if (opaque !== undefined) fields.push(`opaque=${quote(opaque)}`);
    return `Digest ${fields.join(', ')}`;
  }
}

// One header value may hold several challenges: `Digest realm="a", nonce="b", Basic realm="a"`.
// A token followed by "=" is a parameter of the challenge before it; a bare token starts a new one.
const item = /[\s,]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"|[^\s,]*))?/y;

function parseChallenges(value: string): Challenge[] {
  const found: Challenge[] = [];
  let current: Challenge | undefined;
  item.lastIndex = 0;
  for (let m = item.exec(value); m !== null; m = item.exec(value)) {
    const [, token = '', raw] = m;
    if (raw === undefined) {
      const scheme = token.toLowerCase();
      current = scheme === 'basic' || scheme === 'digest' ? { scheme, params: new Map() } : undefined;
      if (current) found.push(current);
    } else {
      current?.params.set(
        token.toLowerCase(),
        raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw,
      );
    }
  }
  return found;
}

/** Why a 401 stands, for a reason: no credentials to give, none the hub can give, or refused. */
export function whyUnauthorized(
  credentials: CameraCredentials | undefined,
  challenges: readonly string[],
): string {
  if (!credentials) return 'the URL has no credentials';
  if (!pickChallenge(challenges)) return 'no Basic or Digest challenge to answer';
  return 'the credentials were refused';
}

const qopList = (qop: string) => qop.split(',').map((q) => q.trim().toLowerCase());

const quote = (text: string) => `"${text.replace(/["\\]/g, '\\$&')}"`;
