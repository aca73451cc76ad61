import { inspect } from 'node:util';
import t from 'tap';
import { cameraWhere, parseCameraUrl, redactUrl } from '../../src/drivers/camera/url.js';

t.test('an RTSP URL with credentials keeps them apart from everything that can be shown', async (t) => {
  const url = parseCameraUrl('rtsp://admin:p%40ss%2Fword@10.0.0.5:8554/Streaming/Channels/102?transport=tcp');
  t.equal(url.scheme, 'rtsp');
  t.equal(url.host, '10.0.0.5');
  t.equal(url.port, 8554);
  t.equal(url.href, 'rtsp://10.0.0.5:8554/Streaming/Channels/102?transport=tcp');
  t.equal(cameraWhere(url), '10.0.0.5:8554');
  t.equal(url.credentials?.username, 'admin');
  t.equal(url.credentials?.password.reveal(), 'p@ss/word', 'percent escapes are undone');
  t.notMatch(inspect(url), /p@ss|p%40ss/, 'printing the parsed URL shows no password');
  t.notMatch(JSON.stringify(url), /p@ss|p%40ss/);
});

t.test('each scheme gets its usual port when the URL names none', async (t) => {
  t.equal(parseCameraUrl('rtsp://cam.local/stream1').port, 554);
  t.equal(parseCameraUrl('http://cam.local/snapshot.jpg').port, 80);
  t.equal(parseCameraUrl('https://cam.local/snapshot.jpg').port, 443);
  t.equal(parseCameraUrl('tcp://cam.local:9000').port, 9000);
  t.equal(parseCameraUrl('rtsp://cam.local/s').credentials, undefined, 'no userinfo, no credentials');
});

t.test('a user without a password, and a stray percent sign, are taken as written', async (t) => {
  const url = parseCameraUrl('rtsp://viewer@cam.local/s');
  t.equal(url.credentials?.username, 'viewer');
  t.equal(url.credentials?.password.reveal(), '');
  t.equal(parseCameraUrl('rtsp://u:100%@cam.local/s').credentials?.password.reveal(), '100%');
});

t.test('an IPv6 camera is reached without brackets and named with them', async (t) => {
  const url = parseCameraUrl('rtsp://[fd00::5]:554/s');
  t.equal(url.host, 'fd00::5');
  t.equal(cameraWhere(url), '[fd00::5]:554');
});

t.test('a bad URL is refused with its credentials masked', async (t) => {
  const cases: [string, RegExp][] = [
    ['rtsp://admin:hunter2@cam.local:99999/s', /rtsp:\/\/\*\*\*@cam\.local:99999\/s is not a URL/],
    ['ftp://admin:hunter2@cam.local/s', /must start with rtsp:\/\/, http:\/\/, https:\/\/ or tcp:\/\//],
    ['tcp://admin:hunter2@cam.local', /needs a port/],
    ['rtsp://admin:hunter2@/s', /\*\*\*@/],
    ['rtsp://admin:hunter2@cam.local:0/s', /rtsp:\/\/\*\*\*@cam\.local:0\/s has port 0/],
    ['just words', /^not a URL \(not repeated here: it may hold a password\)$/],
  ];
  for (const [text, message] of cases) {
    t.throws(() => parseCameraUrl(text), { message }, text.replace('hunter2', '…'));
    try {
      parseCameraUrl(text);
    } catch (error) {
      t.notMatch((error as Error).message, /hunter2/);
    }
  }
  t.throws(() => parseCameraUrl('rtsp:///s'), { message: /has no host/ });
});

t.test('redaction hides every userinfo, even in URLs that do not parse', async (t) => {
  t.equal(redactUrl('rtsp://admin:pw@10.0.0.5:554/stream1'), 'rtsp://***@10.0.0.5:554/stream1');
  t.equal(redactUrl('rtsp://10.0.0.5:554/stream1'), 'rtsp://10.0.0.5:554/stream1', 'nothing to hide');
  t.equal(redactUrl('rtsp://admin:p@ss/w@rd@cam/s'), 'rtsp://***@cam/s', 'up to the last @');
  t.equal(redactUrl('http://user:pw@cam/snap.jpg'), 'http://***@cam/snap.jpg');
  // Spellings URL parsers forgive, typos included.
  t.equal(redactUrl('rtsp:/admin:hunter2@10.0.0.5/s'), 'rtsp:/***@10.0.0.5/s');
  t.equal(redactUrl('http:user:hunter2@host:0'), 'http:***@host:0');
  t.equal(redactUrl('ws:user:hunter2@host'), 'ws:***@host');
  for (const text of ['rtsp:/admin:hunter2@10.0.0.5/s', 'http:user:hunter2@host:0', 'ws:user:hunter2@host']) {
    t.throws(() => parseCameraUrl(text), `${redactUrl(text)} is refused`);
    try {
      parseCameraUrl(text);
    } catch (err) {
      t.notOk((err as Error).message.includes('hunter2'), `no password in: ${(err as Error).message}`);
    }
  }
});
