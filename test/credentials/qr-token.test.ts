// QR entry tokens against a table of good and bad ones, signed here with real Ed25519 keys the way
// any cloud would mint them with a JWT library (docs/protocol.md, "QR entry tokens").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import t from 'tap';
import { type QrTokenSettings, QrTokenVerifier } from '../../src/credentials/qr-token.js';
import { SqliteReplayCache } from '../../src/credentials/replay-cache.js';
import type { TestContext } from '../helpers/tap-types.js';

const NOW = Date.UTC(2026, 10, 24, 7, 0, 0);
const s = (seconds: number) => Math.floor(NOW / 1000) + seconds;

async function keys() {
  const current = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const other = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const x = (await exportJWK(current.publicKey)).x as string;
  return { current, other, x };
}

type Claims = Record<string, unknown>;

async function mint(
  privateKey: CryptoKey | Uint8Array,
  claims: Claims,
  header: Record<string, unknown> = { alg: 'EdDSA', kid: 'cloud-2026-11' },
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(privateKey);
}

const good = (extra: Claims = {}): Claims => ({
  aud: 'store-berlin-mitte',
  exp: s(300),
  jti: 'c3f1e0a2-entry-0001',
  sub: 'account-7781',
  party: 2,
  ...extra,
});

async function setup(t: TestContext, overrides: Partial<QrTokenSettings> = {}) {
  const k = await keys();
  const path = join(t.testdir(), 'replay.db');
  const settings: QrTokenSettings = {
    audience: 'store-berlin-mitte',
    keys: [{ kid: 'cloud-2026-11', x: k.x }],
    clockSkewSeconds: 30,
    maxTokenBytes: 2048,
    maxPartySize: 8,
    ...overrides,
  };
  let cache = new SqliteReplayCache(path);
  let verifier = new QrTokenVerifier(settings, cache);
  t.teardown(() => cache.close());
  return {
    ...k,
    verify: (code: string, now = NOW) => verifier.verify(code, now),
    /** Whether the replay cache remembers `jti` as used. */
    remembered: (jti: string) => cache.seen(jti),
    /** The hub restarts: the cache is opened afresh from its file. */
    restart: () => {
      cache.close();
      cache = new SqliteReplayCache(path);
      verifier = new QrTokenVerifier(settings, cache);
    },
  };
}

t.test('a good token lets its party in once, also across a restart', async (t) => {
  const h = await setup(t);
  const token = await mint(h.current.privateKey, good());
  t.match(await h.verify(token), {
    ok: true,
    jti: 'c3f1e0a2-entry-0001',
    partySize: 2,
    subject: 'account-7781',
  });
  t.match(await h.verify(token), { ok: false, reason: 'replayed' }, 'the same token again is refused');
  h.restart();
  t.match(await h.verify(token), { ok: false, reason: 'replayed' }, 'and after the hub restarted');
  const single = await mint(h.current.privateKey, good({ jti: 'entry-0002', party: undefined }));
  t.match(await h.verify(single), { ok: true, partySize: 1 }, 'no party claim: one person');
});

t.test('every bad token is refused with its reason', async (t) => {
  const h = await setup(t);
  const hs256 = new Uint8Array(32).fill(7);
  const cases: [string, string | Promise<string>, string][] = [
    [
      'expired beyond the clock skew',
      mint(h.current.privateKey, good({ jti: 'a1', exp: s(-31) })),
      'expired',
    ],
    [
      'not valid before a minute from now',
      mint(h.current.privateKey, good({ jti: 'a2', nbf: s(60) })),
      'not_yet_valid',
    ],
    [
      'for another store',
      mint(h.current.privateKey, good({ jti: 'a3', aud: 'store-paris-1' })),
      'wrong_audience',
    ],
    [
      'signed with a key id the hub lacks',
      mint(h.current.privateKey, good({ jti: 'a4' }), { alg: 'EdDSA', kid: 'old' }),
      'unknown_key',
    ],
    ['without a key id', mint(h.current.privateKey, good({ jti: 'a5' }), { alg: 'EdDSA' }), 'unknown_key'],
    [
      'forged: another key under the right key id',
      mint(h.other.privateKey, good({ jti: 'a6' })),
      'bad_signature',
    ],
    [
      'signed with a shared secret (HS256)',
      mint(hs256, good({ jti: 'a7' }), { alg: 'HS256', kid: 'cloud-2026-11' }),
      'malformed',
    ],
    ['without a jti', mint(h.current.privateKey, good({ jti: undefined })), 'bad_claims'],
    [
      'without an aud: good for any store, so for none',
      mint(h.current.privateKey, good({ jti: 'a13', aud: undefined })),
      'bad_claims',
    ],
    ['an aud that is a number', mint(h.current.privateKey, good({ jti: 'a14', aud: 7 })), 'bad_claims'],
    ['without an exp', mint(h.current.privateKey, good({ jti: 'a8', exp: undefined })), 'bad_claims'],
    ['a party of 0', mint(h.current.privateKey, good({ jti: 'a9', party: 0 })), 'bad_claims'],
    [
      'a party of 9 where 8 is the most',
      mint(h.current.privateKey, good({ jti: 'a10', party: 9 })),
      'bad_claims',
    ],
    ['a party of 1.5', mint(h.current.privateKey, good({ jti: 'a11', party: 1.5 })), 'bad_claims'],
    ['a jti of 121 characters', mint(h.current.privateKey, good({ jti: 'j'.repeat(121) })), 'bad_claims'],
    [
      'longer than 2048 bytes',
      mint(h.current.privateKey, good({ jti: 'a12', pad: 'p'.repeat(2000) })),
      'oversized',
    ],
    ['not a token at all', 'https://example.com/?ref=flyer', 'malformed'],
    ['binary bytes', '\u0000\u0001\u0002.\u00ff.\u0003', 'malformed'],
    ['two parts', 'eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJ4In0', 'malformed'],
    ['unsigned (alg none)', 'eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.', 'malformed'],
    ['an empty code', '', 'malformed'],
    ['a header that is not JSON', 'bm90IGpzb24.eyJqdGkiOiJ4In0.c2ln', 'malformed'],
  ];
  for (const [what, code, reason] of cases) t.match(await h.verify(await code), { ok: false, reason }, what);
  const token = await mint(h.current.privateKey, good());
  const [head, body, signature] = token.split('.') as [string, string, string];
  const tampered = JSON.parse(Buffer.from(body, 'base64url').toString());
  tampered.party = 8;
  const forged = `${head}.${Buffer.from(JSON.stringify(tampered)).toString('base64url')}.${signature}`;
  t.match(await h.verify(forged), { ok: false, reason: 'bad_signature' }, 'a payload changed after signing');
});

t.test('the clock skew allowance works both ways, and a refused token never burns a good one', async (t) => {
  const h = await setup(t);
  t.match(
    await h.verify(await mint(h.current.privateKey, good({ jti: 'b1', exp: s(-20) }))),
    { ok: true },
    'expired 20 s ago: within 30 s',
  );
  t.match(
    await h.verify(await mint(h.current.privateKey, good({ jti: 'b2', nbf: s(20) }))),
    { ok: true },
    'valid in 20 s: within 30 s',
  );
  // A forged token carrying a real token's jti is refused before its jti is claimed.
  t.match(await h.verify(await mint(h.other.privateKey, good({ jti: 'b3' }))), {
    ok: false,
    reason: 'bad_signature',
  });
  t.match(
    await h.verify(await mint(h.current.privateKey, good({ jti: 'b3' }))),
    { ok: true },
    'the real one still works',
  );
  t.ok(h.remembered('b3'), 'its jti is remembered as used');
  // Long after it expired the cache forgets it. The token itself is refused as expired by then, before
  // the cache is asked, so the forgetting shows only in the cache; it happens when a later token is claimed.
  const later = NOW + 3_600_000;
  t.match(await h.verify(await mint(h.current.privateKey, good({ jti: 'b3' })), later), {
    ok: false,
    reason: 'expired',
  });
  t.match(
    await h.verify(await mint(h.current.privateKey, good({ jti: 'b4', exp: s(7200) })), later),
    { ok: true },
    'an hour later another shopper comes in',
  );
  t.notOk(h.remembered('b3'), 'and the cache has forgotten the expired jti');
  t.ok(h.remembered('b4'), 'but not the one just used');
});

t.test('a second configured key (rotation) is accepted beside the first', async (t) => {
  const next = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const x = (await exportJWK(next.publicKey)).x as string;
  const h = await setup(t);
  const rotated = await setup(t, {
    keys: [
      { kid: 'cloud-2026-11', x: h.x },
      { kid: 'cloud-2026-12', x },
    ],
  });
  const token = await mint(next.privateKey, good({ jti: 'c1' }), { alg: 'EdDSA', kid: 'cloud-2026-12' });
  t.match(await rotated.verify(token), { ok: true });
  t.match(
    await h.verify(token),
    { ok: false, reason: 'unknown_key' },
    'a hub without the new key refuses it',
  );
});

t.test('docs/protocol.md names every reason a token can be refused for', async (t) => {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## 10. QR entry tokens'), doc.indexOf('## 11.'));
  const reasons = readFileSync(new URL('../../src/credentials/qr-token.ts', import.meta.url), 'utf8')
    .match(/export type TokenRefusal =([^;]+);/)?.[1]
    ?.match(/'[a-z_]+'/g)
    ?.map((r) => r.slice(1, -1));
  t.ok(reasons && reasons.length >= 9, `the reasons: ${reasons}`);
  for (const reason of reasons ?? []) t.match(section, `\`${reason}\``, reason);
});
