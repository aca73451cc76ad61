// The snapshot probe against node HTTP servers playing cameras, well and badly.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { HttpSnapshotProbe } from '../../src/drivers/camera/http-snapshot.js';
import { FakeClock } from '../../src/system/clock.js';
import { until } from '../helpers/daemon.js';
import type { TestContext } from '../helpers/tap-types.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface SnapshotCamera {
  port: number;
  url(path?: string, userinfo?: string): string;
  requests: IncomingMessage[];
  open: () => number;
}

const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.alloc(2000, 1),
  Buffer.from([0xff, 0xd9]),
]);

function jpeg(res: ServerResponse, body = JPEG): void {
  res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': body.length });
  res.end(body);
}

async function snapshotCamera(
  t: TestContext,
  handler: Handler = (_, res) => jpeg(res),
): Promise<SnapshotCamera> {
  const requests: IncomingMessage[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: (path = '/snapshot.jpg', userinfo) =>
      `http://${userinfo ? `${userinfo}@` : ''}127.0.0.1:${port}${path}`,
    requests,
    open: () => sockets.size,
  };
}

t.test('a camera serving a snapshot is ok; the same picture twice is frozen', async (t) => {
  let picture = JPEG;
  const camera = await snapshotCamera(t, (_, res) => jpeg(res, picture));
  const probe = new HttpSnapshotProbe(camera.url());
  const first = await probe.probe();
  t.match(first, { ok: true, frozen: false });
  t.ok(first.latencyMs !== undefined && first.latencyMs >= 0);
  t.match(await probe.probe(), { ok: true, frozen: true }, 'the same bytes again');
  picture = Buffer.concat([JPEG, Buffer.from([0])]);
  t.match(await probe.probe(), { ok: true, frozen: false }, 'a new picture');
  t.match(
    await new HttpSnapshotProbe(camera.url()).probe(),
    { frozen: false },
    'each probe object compares its own',
  );
  t.equal(camera.requests[0]?.headers.accept, 'image/*');
  await until(() => camera.open() === 0, 5000, 'no keep-alive socket is left open');
});

t.test(
  'a snapshot behind Basic authentication: credentials only when asked, never in a reason',
  async (t) => {
    const expected = `Basic ${Buffer.from('admin:pa:ss').toString('base64')}`;
    const camera = await snapshotCamera(t, (req, res) => {
      if (req.headers.authorization === expected) return jpeg(res);
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="cam"' }).end();
    });
    t.match(await new HttpSnapshotProbe(camera.url('/snap.jpg', 'admin:pa%3Ass')).probe(), { ok: true });
    t.equal(camera.requests[0]?.headers.authorization, undefined, 'the first request carries no password');
    t.same(await new HttpSnapshotProbe(camera.url()).probe(), {
      ok: false,
      reason: `snapshot GET answered 401 Unauthorized (127.0.0.1:${camera.port}): the URL has no credentials`,
    });
    const wrong = await new HttpSnapshotProbe(camera.url('/snap.jpg', 'admin:hunter2')).probe();
    t.same(wrong, {
      ok: false,
      reason: `snapshot GET answered 401 Unauthorized (127.0.0.1:${camera.port}): the credentials were refused`,
    });
    t.notMatch(wrong.reason ?? '', /hunter2|admin/);
    const bearer = await snapshotCamera(t, (req, res) =>
      res.writeHead(401, req.url === '/bare' ? {} : { 'WWW-Authenticate': 'Bearer' }).end(),
    );
    for (const path of ['/snap.jpg', '/bare'])
      t.same(await new HttpSnapshotProbe(bearer.url(path, 'admin:hunter2')).probe(), {
        ok: false,
        reason: `snapshot GET answered 401 Unauthorized (127.0.0.1:${bearer.port}): no Basic or Digest challenge to answer`,
      });
  },
);

t.test('a snapshot behind Digest authentication is answered with the path it asked for', async (t) => {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const camera = await snapshotCamera(t, (req, res) => {
    const header = req.headers.authorization ?? '';
    const field = (name: string) => new RegExp(`${name}="?([^",]*)"?`).exec(header)?.[1] ?? '';
    const ha2 = md5(`GET:${req.url}`);
    const expected = md5(`${md5('viewer:cam:pw')}:n1:${field('nc')}:${field('cnonce')}:auth:${ha2}`);
    if (field('response') === expected && field('uri') === req.url) return jpeg(res);
    res.writeHead(401, { 'WWW-Authenticate': 'Digest realm="cam", nonce="n1", qop="auth"' }).end();
  });
  t.match(await new HttpSnapshotProbe(camera.url('/cgi-bin/snap?chn=1', 'viewer:pw')).probe(), { ok: true });
});

t.test('an answer that is not a picture is not ok', async (t) => {
  const camera = await snapshotCamera(t, (req, res) => {
    if (req.url === '/login') return res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>');
    if (req.url === '/untyped') return res.writeHead(200).end('??');
    if (req.url === '/empty') return res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end();
    if (req.url === '/broken') return res.writeHead(500, '').end();
    res.writeHead(404).end();
  });
  const where = `127.0.0.1:${camera.port}`;
  const reason = async (path: string) => (await new HttpSnapshotProbe(camera.url(path)).probe()).reason;
  t.equal(await reason('/login'), `${where} answered "text/html", not a picture`);
  t.equal(await reason('/untyped'), `${where} answered no content type, not a picture`);
  t.equal(await reason('/empty'), `${where} answered an empty snapshot`);
  t.equal(await reason('/missing.jpg'), `snapshot GET answered 404 Not Found (${where})`);
  t.equal(await reason('/broken'), `snapshot GET answered 500 (${where})`, 'no status text');
});

t.test('a snapshot over the size limit is refused, whether or not it says its length', async (t) => {
  const camera = await snapshotCamera(t, (req, res) => {
    if (req.url === '/declared') return jpeg(res, Buffer.alloc(5000));
    res.writeHead(200, { 'Content-Type': 'image/jpeg' });
    // Chunked, no length: the cap must be enforced while reading.
    const chunk = Buffer.alloc(1000, 2);
    const more = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', more);
    };
    more();
  });
  const where = `127.0.0.1:${camera.port}`;
  t.same(await new HttpSnapshotProbe(camera.url('/declared'), { maxBytes: 4096 }).probe(), {
    ok: false,
    reason: `snapshot larger than 4096 bytes from ${where}`,
  });
  t.same(await new HttpSnapshotProbe(camera.url('/stream'), { maxBytes: 4096 }).probe(), {
    ok: false,
    reason: `snapshot larger than 4096 bytes from ${where}`,
  });
  await until(() => camera.open() === 0, 5000, 'the endless answer was hung up on');
});

t.test('a snapshot that never comes times out and frees the socket', async (t) => {
  const clock = new FakeClock();
  const camera = await snapshotCamera(t, () => {});
  const result = new HttpSnapshotProbe(camera.url(), { timeoutMs: 3000, clock }).probe();
  await until(() => camera.requests.length === 1, 5000, 'the GET arrived');
  clock.advance(3000);
  t.same(await result, { ok: false, reason: `no snapshot from 127.0.0.1:${camera.port} within 3000 ms` });
  t.equal(clock.pending, 0);
  await until(() => camera.open() === 0, 5000, 'the connection closed');
});

t.test('a snapshot that breaks off half way is not ok', async (t) => {
  const camera = await snapshotCamera(t, (_, res) => {
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': 10_000 });
    res.write(Buffer.alloc(100), () => res.socket?.destroy());
  });
  t.same(await new HttpSnapshotProbe(camera.url()).probe(), {
    ok: false,
    reason: `the snapshot from 127.0.0.1:${camera.port} broke off`,
  });
});

t.test('a stopped camera is refused; abort rejects; a closed probe does not probe', async (t) => {
  const camera = await snapshotCamera(t, () => {});
  const stop = new AbortController();
  const result = new HttpSnapshotProbe(camera.url()).probe(stop.signal);
  await until(() => camera.requests.length === 1, 5000, 'the GET arrived');
  stop.abort();
  await t.rejects(result, { name: 'AbortError' });
  await until(() => camera.open() === 0, 5000, 'the connection closed');

  const probe = new HttpSnapshotProbe(camera.url());
  await probe.close();
  t.same(await probe.probe(), { ok: false, reason: 'probe closed' });

  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise((resolve) => closed.close(resolve));
  t.same(await new HttpSnapshotProbe(`http://127.0.0.1:${port}/x.jpg`).probe(), {
    ok: false,
    reason: `connection refused by 127.0.0.1:${port}`,
  });
  t.throws(() => new HttpSnapshotProbe('rtsp://admin:pw@cam/s'), {
    message: 'camera URL rtsp://***@cam/s is not http:// or https://',
  });
});

t.test('https: an untrusted certificate and a peer that does not speak TLS are told apart', async (t) => {
  const dir = t.testdir();
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const server = createTlsServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (_, res) => jpeg(res),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const tlsPort = (server.address() as { port: number }).port;
  t.same(await new HttpSnapshotProbe(`https://127.0.0.1:${tlsPort}/snap.jpg`).probe(), {
    ok: false,
    reason: `the certificate of 127.0.0.1:${tlsPort} is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)`,
  });
  const plain = await snapshotCamera(t);
  t.match(await new HttpSnapshotProbe(`https://127.0.0.1:${plain.port}/snap.jpg`).probe(), {
    ok: false,
    reason: new RegExp(`^TLS with 127\\.0\\.0\\.1:${plain.port} failed \\(`),
  });
});
