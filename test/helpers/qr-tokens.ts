// QR entry tokens minted the way any cloud would (docs/protocol.md, "QR entry tokens"), and a verifier
// with a replay cache on disk that trusts the minting key.
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { QrTokenVerifier } from '../../src/credentials/qr-token.js';
import { SqliteReplayCache } from '../../src/credentials/replay-cache.js';
import type { TestContext } from './tap-types.js';

export const AUDIENCE = 'store-sim';
export const KID = 'cloud-test';

/** A key pair as the cloud holds one, and tokens signed with it under key id `kid`. */
export async function tokenMint(kid = KID) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const x = (await exportJWK(publicKey)).x as string;
  let serial = 0;
  /** A token for `party` people, valid for five minutes from `now` unless `claims` say otherwise. */
  const mint = (now: number, claims: Record<string, unknown> = {}) =>
    new SignJWT({ aud: AUDIENCE, exp: Math.floor(now / 1000) + 300, jti: `jti-${++serial}`, ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .sign(privateKey);
  return { x, mint };
}

/** A verifier trusting `x`, its replay cache in the test's directory. */
export function verifierFor(t: TestContext, x: string, file = 'replay.db') {
  const cache = new SqliteReplayCache(join(t.testdir(), file));
  t.teardown(() => cache.close());
  return new QrTokenVerifier(
    {
      audience: AUDIENCE,
      keys: [{ kid: KID, x }],
      clockSkewSeconds: 30,
      maxTokenBytes: 2048,
      maxPartySize: 8,
    },
    cache,
  );
}
