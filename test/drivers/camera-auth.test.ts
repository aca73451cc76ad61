// Answers to camera challenges, checked against the worked examples of RFC 7616 and RFC 2617.
import t from 'tap';
import { Authorizer, type Challenge, pickChallenge } from '../../src/drivers/camera/auth.js';
import { Secret } from '../../src/system/secret.js';

const rfc7616 = (algorithm: string) =>
  `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, ` +
  'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
const mufasa = { username: 'Mufasa', password: new Secret('Circle of Life') };
const response = (header: string) => /response="([0-9a-f]+)"/.exec(header)?.[1];

function pick(...values: string[]): Challenge {
  const challenge = pickChallenge(values);
  if (!challenge) throw new Error(`no challenge in ${values.join(' | ')}`);
  return challenge;
}

t.test('Digest answers match RFC 7616 for MD5 and SHA-256', async (t) => {
  const cnonce = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
  const md5 = new Authorizer(pick(rfc7616('MD5')), mufasa, cnonce).header('GET', '/dir/index.html');
  t.equal(response(md5), '8ca523f5e9506fed4657c9700eebdbec');
  t.match(md5, /qop=auth, nc=00000001, cnonce="f2\/wE4q74E6zIJEtWaHKaf5wv\/H5QzzpXusqGemxURZJ"/);
  t.match(md5, /algorithm=MD5, opaque="FQhe\/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"$/);
  const sha = new Authorizer(pick(rfc7616('SHA-256')), mufasa, cnonce).header('GET', '/dir/index.html');
  t.equal(response(sha), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
});

t.test('Digest answers match RFC 2617, and count their uses of a nonce', async (t) => {
  const challenge = pick(
    'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
  );
  const authorizer = new Authorizer(
    challenge,
    { username: 'Mufasa', password: new Secret('Circle Of Life') },
    '0a4f113b',
  );
  const first = authorizer.header('GET', '/dir/index.html');
  t.equal(response(first), '6629fae49393a05397450978507c4ef1');
  t.notMatch(first, /algorithm=/, 'no algorithm was named, none is echoed');
  t.match(authorizer.header('GET', '/dir/index.html'), /nc=00000002/);
});

t.test('an old camera without qop gets the RFC 2069 answer; -sess variants fold in the cnonce', async (t) => {
  const plain = new Authorizer(pick('Digest realm="r", nonce="n"'), {
    username: 'u',
    password: new Secret('p'),
  });
  const header = plain.header('DESCRIBE', 'rtsp://cam/s');
  t.notMatch(header, /qop|nc=|cnonce/);
  // MD5(MD5("u:r:p"):n:MD5("DESCRIBE:rtsp://cam/s")), as GStreamer's RTSP server computes it.
  t.equal(response(header), '140851be98e060cd87c35729254f8c94');
  const sess = (cnonce: string) =>
    response(
      new Authorizer(
        pick('Digest realm="r", nonce="n", qop=auth, algorithm=MD5-sess'),
        mufasa,
        cnonce,
      ).header('GET', '/'),
    );
  t.not(sess('a'), sess('b'));
  const realmless = new Authorizer(pick('Digest nonce="n"'), mufasa).header('GET', '/');
  t.match(realmless, /realm="", nonce="n"/, 'a camera that names no realm gets an empty one back');
});

t.test('Basic carries the user and password; quotes in a user name are escaped for Digest', async (t) => {
  const basic = new Authorizer(pick('Basic realm="cam"'), {
    username: 'admin',
    password: new Secret('12:34'),
  });
  t.equal(basic.header('GET', '/'), `Basic ${Buffer.from('admin:12:34').toString('base64')}`);
  const digest = new Authorizer(pick('Digest realm="a \\"quoted\\" realm", nonce="n"'), {
    username: 'say "hi"',
    password: new Secret(''),
  });
  t.match(digest.header('GET', '/'), /^Digest username="say \\"hi\\"", realm="a \\"quoted\\" realm"/);
});

t.test('the strongest challenge the hub can answer is chosen', async (t) => {
  t.equal(pick('Basic realm="x"', 'Digest realm="x", nonce="n"').scheme, 'digest', 'Digest over Basic');
  t.equal(
    pick(
      'Digest realm="x", nonce="n", algorithm=MD5, Digest realm="x", nonce="m", algorithm=SHA-256',
    ).params.get('nonce'),
    'm',
    'SHA-256 over MD5, two challenges in one header',
  );
  t.equal(
    pick('Bearer realm="x", Digest realm="x", nonce="n"').scheme,
    'digest',
    'unknown schemes are passed over',
  );
  t.equal(
    pick('Digest realm="x", nonce="n", qop="auth-int", Basic realm="x"').scheme,
    'basic',
    'auth-int only: not answerable',
  );
  t.equal(
    pickChallenge(['Digest realm="x", nonce="n", algorithm=SHA-512-256']),
    undefined,
    'unknown algorithm',
  );
  t.equal(pickChallenge(['Digest realm="x"']), undefined, 'Digest without a nonce');
  t.equal(pickChallenge(['Negotiate', '']), undefined);
  t.equal(pickChallenge([]), undefined);
});
