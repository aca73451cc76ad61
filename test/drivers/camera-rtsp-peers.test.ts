// The RTSP probe against scripted cameras that misbehave the ways field cameras do.
import { createHash } from 'node:crypto';
import t from 'tap';
import { RtspProbe } from '../../src/drivers/camera/rtsp.js';
import { FakeClock } from '../../src/system/clock.js';
import { until } from '../helpers/daemon.js';
import { frames, interleaved, SDP, startScriptedCamera } from '../helpers/scripted-rtsp-camera.js';

const PLAY_MS = 300;

t.test('a camera that answers in pieces, and streams before it answers PLAY, is understood', async (t) => {
  const camera = await startScriptedCamera(t, (request, side) => {
    if (request.method === 'PLAY') {
      // Frames first, then the reply cut in two with more frames glued to its end.
      const reply = side.reply(request, '200 OK', { Session: 'abc' });
      side.send(frames(2));
      side.send(reply.slice(0, 7));
      setImmediate(() => side.send(Buffer.concat([Buffer.from(reply.slice(7)), frames(4).subarray(0, 100)])));
      setImmediate(() => setImmediate(() => side.send(frames(4).subarray(100))));
      return;
    }
    const reply = request.method === 'DESCRIBE' ? side.reply(request, '200 OK', {}, SDP) : undefined;
    if (!reply) return side.answer(request);
    for (const byte of Buffer.from(reply)) side.send(Buffer.from([byte]));
  });
  const result = await new RtspProbe(camera.url(), { playMs: PLAY_MS }).probe();
  t.match(result, { ok: true, frozen: false });
  t.ok((result.fps ?? 0) > 0, `fps ${result.fps}`);
  t.equal(camera.requests.at(-1)?.method, 'TEARDOWN', 'the session is torn down');
  await until(() => camera.open === 0, 5000, 'the connection closed');
});

t.test('the track, channel and session the camera names are the ones used', async (t) => {
  const camera = await startScriptedCamera(t, (request, side) => {
    if (request.method === 'SETUP')
      // A stale reply (wrong CSeq) first: it must not be taken for this one.
      return side.send(
        `RTSP/1.0 500 Stale\r\nCSeq: 99\r\n\r\n${side.reply(request, '200 OK', {
          Transport: 'RTP/AVP/TCP;unicast;interleaved=2-3',
          Session: '  12345678;timeout=60',
        })}`,
      );
    if (request.method === 'PLAY') {
      side.send(side.reply(request, '200 OK'));
      // Frozen-looking frames on channel 0 that the probe must ignore; lively ones on channel 2.
      side.send(Buffer.concat([0, 1, 2, 3].map((i) => interleaved(0, i * 9000, Buffer.alloc(99, 1)))));
      side.send('GET_PARAMETER rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 1\r\n\r\n');
      return side.send(frames(4, 2));
    }
    side.answer(request);
  });
  const result = await new RtspProbe(camera.url('/live?channel=1'), { playMs: PLAY_MS }).probe();
  t.match(result, { ok: true, frozen: false, kbps: Number });
  const [options, describe, setup, play] = camera.requests;
  t.equal(options?.uri, `rtsp://127.0.0.1:${camera.port}/live?channel=1`);
  t.equal(describe?.headers.get('accept'), 'application/sdp');
  t.equal(setup?.uri, `rtsp://127.0.0.1:${camera.port}/live?channel=1/trackID=1`, 'no Content-Base: the URL');
  t.equal(setup?.headers.get('transport'), 'RTP/AVP/TCP;unicast;interleaved=0-1');
  t.equal(play?.headers.get('session'), '12345678', 'the session id without its timeout');
  t.same(
    camera.requests.map((r) => r.cseq),
    ['1', '2', '3', '4', '5'],
  );
});

t.test('a server that answers garbage is not taken for a camera', async (t) => {
  const camera = await startScriptedCamera(t, (_, side) => side.send('HTTP/1.1 400 Bad Request\r\n\r\n'));
  t.same(await new RtspProbe(camera.url()).probe(), {
    ok: false,
    reason: `127.0.0.1:${camera.port} answered something that is not RTSP`,
  });
  await until(() => camera.open === 0, 5000, 'the connection closed');
});

t.test('a server that never finishes its response times out and frees the socket', async (t) => {
  const clock = new FakeClock();
  const camera = await startScriptedCamera(t, (_, side) => side.send('RTSP/1.0 200 OK\r\nCSeq: 1\r\n'));
  const probe = new RtspProbe(camera.url(), { timeoutMs: 4000, clock });
  const result = probe.probe();
  await until(() => camera.requests.length === 1, 5000, 'OPTIONS sent');
  clock.advance(3999);
  t.equal(camera.open, 1, 'still waiting just before the timeout');
  clock.advance(1);
  t.same(await result, {
    ok: false,
    reason: `no answer to RTSP OPTIONS from 127.0.0.1:${camera.port} within 4000 ms`,
  });
  t.equal(clock.pending, 0, 'no timer left');
  await until(() => camera.open === 0, 5000, 'the connection closed');
});

t.test('no connection within the timeout is a reason of its own', async (t) => {
  const clock = new FakeClock();
  const camera = await startScriptedCamera(t);
  const result = new RtspProbe(camera.url(), { timeoutMs: 300, clock }).probe();
  clock.advance(300);
  t.same(await result, { ok: false, reason: `no connection to 127.0.0.1:${camera.port} within 300 ms` });
});

t.test('a header flood is cut off at 64 KiB', async (t) => {
  let written = 0;
  const camera = await startScriptedCamera(t, (_, side) => {
    side.send('RTSP/1.0 200 OK\r\nCSeq: 1\r\n');
    const line = `X-Junk: ${'a'.repeat(1000)}\r\n`;
    const flood = () => {
      // Keeps sending until the probe hangs up.
      while (!side.socket.destroyed && side.socket.write(line)) written += line.length;
      if (!side.socket.destroyed && written < 50 * 1024 * 1024) side.socket.once('drain', flood);
    };
    flood();
  });
  t.same(await new RtspProbe(camera.url()).probe(), {
    ok: false,
    reason: `127.0.0.1:${camera.port} answered a response header larger than 64 KiB`,
  });
  await until(() => camera.open === 0, 5000, 'the connection closed');
  t.ok(written < 50 * 1024 * 1024, 'the flood was stopped by the hub hanging up');
});

t.test('a body over 64 KiB is refused before it is read', async (t) => {
  const camera = await startScriptedCamera(t, (request, side) =>
    request.method === 'DESCRIBE'
      ? side.send(side.reply(request, '200 OK', { 'Content-Length': '1000000' }))
      : side.answer(request),
  );
  t.same(await new RtspProbe(camera.url()).probe(), {
    ok: false,
    reason: `127.0.0.1:${camera.port} answered an RTSP body larger than 64 KiB (1000000 bytes)`,
  });
});

t.test('abort ends the probe at once', async (t) => {
  const camera = await startScriptedCamera(t, (request, side) => {
    if (request.method !== 'DESCRIBE') side.answer(request);
  });
  const stop = new AbortController();
  const result = new RtspProbe(camera.url(), { timeoutMs: 60_000 }).probe(stop.signal);
  await until(() => camera.requests.length === 2, 5000, 'DESCRIBE sent');
  stop.abort();
  await t.rejects(result, { name: 'AbortError' });
  await until(() => camera.open === 0, 5000, 'the connection closed');

  const reason = new Error('store closing');
  await t.rejects(new RtspProbe(camera.url()).probe(AbortSignal.abort(reason)), reason, 'already aborted');
  t.equal(camera.accepted, 1, 'an aborted signal does not even connect');
});

t.test('a stream without frames, or without a whole one, is not ok', async (t) => {
  const silent = await startScriptedCamera(t, (request, side) =>
    request.method === 'PLAY' ? side.send(side.reply(request, '200 OK')) : side.answer(request),
  );
  t.same(await new RtspProbe(silent.url(), { playMs: PLAY_MS }).probe(), {
    ok: false,
    reason: `no frame within ${PLAY_MS} ms of PLAY from 127.0.0.1:${silent.port}`,
  });
  t.equal(silent.requests.at(-1)?.method, 'TEARDOWN');
  const endless = await startScriptedCamera(t, (request, side) => {
    if (request.method !== 'PLAY') return side.answer(request);
    side.send(side.reply(request, '200 OK'));
    side.send(interleaved(0, 0, Buffer.alloc(100), false));
  });
  t.same(await new RtspProbe(endless.url(), { playMs: PLAY_MS }).probe(), {
    ok: false,
    reason: `packets but no whole frame within ${PLAY_MS} ms of PLAY from 127.0.0.1:${endless.port}`,
  });
});

t.test('a camera that hangs up in the middle of the stream is not ok', async (t) => {
  const camera = await startScriptedCamera(t, (request, side) => {
    side.answer(request);
    if (request.method === 'PLAY') side.socket.end();
  });
  t.same(await new RtspProbe(camera.url(), { playMs: 5000 }).probe(), {
    ok: false,
    reason: `127.0.0.1:${camera.port} closed the connection`,
  });
});

t.test('a connection reset is told apart from a refusal', async (t) => {
  const camera = await startScriptedCamera(t, (_, side) => side.socket.resetAndDestroy());
  t.same(await new RtspProbe(camera.url()).probe(), {
    ok: false,
    reason: `connection reset by 127.0.0.1:${camera.port}`,
  });
});

t.test('refusals are reported in the camera’s words, tamed', async (t) => {
  const cases: [
    string,
    (r: import('../helpers/scripted-rtsp-camera.js').RtspRequest) => string | undefined,
    string,
  ][] = [
    ['SETUP', () => '461 Unsupported Transport', 'RTSP SETUP answered 461 Unsupported Transport'],
    ['PLAY', () => '454 Session Not Found', 'RTSP PLAY answered 454 Session Not Found'],
    ['DESCRIBE', () => '503 \u0007Busy\u001b[31m', 'RTSP DESCRIBE answered 503 ?Busy?[31m'],
    ['DESCRIBE', () => '500', 'RTSP DESCRIBE answered 500'],
  ];
  for (const [method, status, said] of cases) {
    const camera = await startScriptedCamera(t, (request, side) =>
      request.method === method
        ? side.send(side.reply(request, status(request) as string))
        : side.answer(request),
    );
    t.same(await new RtspProbe(camera.url()).probe(), {
      ok: false,
      reason: `${said} (127.0.0.1:${camera.port})`,
    });
  }
});

t.test('a description without video, or a SETUP without a session, is not ok', async (t) => {
  const audio = await startScriptedCamera(t, (request, side) =>
    request.method === 'DESCRIBE'
      ? side.send(side.reply(request, '200 OK', {}, 'v=0\r\nm=audio 0 RTP/AVP 0\r\n'))
      : side.answer(request),
  );
  t.same(await new RtspProbe(audio.url()).probe(), {
    ok: false,
    reason: `127.0.0.1:${audio.port} describes no video track`,
  });
  const sessionless = await startScriptedCamera(t, (request, side) =>
    request.method === 'SETUP' ? side.send(side.reply(request, '200 OK')) : side.answer(request),
  );
  t.same(await new RtspProbe(sessionless.url()).probe(), {
    ok: false,
    reason: `127.0.0.1:${sessionless.port} answered RTSP SETUP without a Session`,
  });
});

t.test('a camera that leaves out Transport and CSeq is taken at its word', async (t) => {
  const camera = await startScriptedCamera(t, (request, side) => {
    if (request.method === 'SETUP') return side.send('RTSP/1.0 200 OK\r\nSession: s1\r\n\r\n');
    side.answer(request);
  });
  t.match(
    await new RtspProbe(camera.url(), { playMs: PLAY_MS }).probe(),
    { ok: true },
    'interleaved on channel 0',
  );
});

t.test('Digest with qop=auth is answered on every request once challenged', async (t) => {
  const realm = 'cam';
  const nonce = 'f00d';
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const counts: string[] = [];
  const camera = await startScriptedCamera(t, (request, side) => {
    const header = request.headers.get('authorization') ?? '';
    const field = (name: string) => new RegExp(`${name}="?([^",]*)"?`).exec(header)?.[1] ?? '';
    const ha1 = md5(`viewer:${realm}:pa:ss@word`);
    const expected = md5(
      `${ha1}:${nonce}:${field('nc')}:${field('cnonce')}:auth:${md5(`${request.method}:${request.uri}`)}`,
    );
    if (field('response') !== expected || field('uri') !== request.uri)
      return side.send(
        side.reply(request, '401 Unauthorized', {
          'WWW-Authenticate': `Digest realm="${realm}", nonce="${nonce}", qop="auth", algorithm=MD5`,
        }),
      );
    counts.push(field('nc'));
    side.answer(request);
  });
  const result = await new RtspProbe(camera.url('/live', 'viewer:pa%3Ass%40word'), {
    playMs: PLAY_MS,
  }).probe();
  t.match(result, { ok: true });
  t.same(
    counts,
    ['00000001', '00000002', '00000003', '00000004', '00000005'],
    'OPTIONS … TEARDOWN, nc counting up',
  );
});

t.test('OPTIONS behind Basic, refused credentials, and challenges the hub cannot answer', async (t) => {
  const expected = `Basic ${Buffer.from('admin:secret-pw').toString('base64')}`;
  const basic = await startScriptedCamera(t, (request, side) =>
    request.headers.get('authorization') === expected
      ? side.answer(request)
      : side.send(side.reply(request, '401 Unauthorized', { 'WWW-Authenticate': 'Basic realm="cam"' })),
  );
  t.match(await new RtspProbe(basic.url('/live', 'admin:secret-pw'), { playMs: PLAY_MS }).probe(), {
    ok: true,
  });
  const refused = await new RtspProbe(basic.url('/live', 'admin:wrong-pw')).probe();
  t.same(refused, {
    ok: false,
    reason: `RTSP OPTIONS answered 401 Unauthorized (127.0.0.1:${basic.port}): the credentials were refused`,
  });
  const bearer = await startScriptedCamera(t, (request, side) =>
    side.send(side.reply(request, '401 Unauthorized', { 'WWW-Authenticate': 'Bearer realm="cam"' })),
  );
  const unanswerable = await new RtspProbe(bearer.url('/live', 'admin:secret-pw')).probe();
  t.same(unanswerable, {
    ok: false,
    reason: `RTSP OPTIONS answered 401 Unauthorized (127.0.0.1:${bearer.port}): no Basic or Digest challenge to answer`,
  });
  for (const r of [refused, unanswerable]) t.notMatch(r.reason ?? '', /secret-pw|wrong-pw|admin/);
});

t.test('a camera that never answers TEARDOWN does not hold the probe', async (t) => {
  const camera = await startScriptedCamera(t, (request, side) => {
    if (request.method !== 'TEARDOWN') side.answer(request);
  });
  t.match(await new RtspProbe(camera.url(), { playMs: PLAY_MS, timeoutMs: 400 }).probe(), { ok: true });
});

t.test('a closed probe does not probe, and only rtsp:// URLs are taken', async (t) => {
  const camera = await startScriptedCamera(t);
  const probe = new RtspProbe(camera.url());
  await probe.close();
  t.same(await probe.probe(), { ok: false, reason: 'probe closed' });
  t.equal(camera.accepted, 0);
  t.throws(() => new RtspProbe('http://admin:pw@cam/snap.jpg'), {
    message: 'camera URL http://***@cam/snap.jpg is not rtsp://',
  });
});
