// The RTSP probe against a real camera: GStreamer's RTSP server playing the store clip (10 fps).
// Frame rates are checked in tolerant ranges: a busy machine delivers frames late, never more of them.
import t from 'tap';
import type { CameraProbeResult } from '../../src/drivers/camera/port.js';
import { RtspProbe } from '../../src/drivers/camera/rtsp.js';
import { startRtspCamera } from '../helpers/rtsp-server.js';

const SECRET = 's3cret';

/** Sockets and timers this process holds: a probe must leave them as it found them. */
const held = () => {
  const all = process.getActiveResourcesInfo();
  return {
    sockets: all.filter((r) => r === 'TCPSocketWrap').length,
    timers: all.filter((r) => r === 'Timeout').length,
  };
};

const camera = await startRtspCamera(t);

t.test('a camera serving the store clip is ok at about 10 fps', async (t) => {
  const before = held();
  const result = await new RtspProbe(camera.url('/clip')).probe();
  t.same(held(), before, 'no socket or timer outlives the probe');
  t.comment(JSON.stringify(result));
  t.equal(result.ok, true);
  t.ok(result.fps !== undefined && result.fps >= 7 && result.fps <= 13, `fps ${result.fps}`);
  t.ok(result.kbps !== undefined && result.kbps > 100, `kbps ${result.kbps}`);
  t.ok(result.firstFrameMs !== undefined && result.firstFrameMs >= 0 && result.firstFrameMs < 2000);
  t.ok(result.latencyMs !== undefined && result.latencyMs >= 0);
  t.equal(result.frozen, false, 'the clip moves');
  t.equal(result.reason, undefined);
});

t.test('every probe starts the clip afresh and measures it the same way', async (t) => {
  const probe = new RtspProbe(camera.url('/clip'), { playMs: 1000 });
  const results: CameraProbeResult[] = [];
  for (let i = 0; i < 2; i++) results.push(await probe.probe());
  for (const r of results) t.match(r, { ok: true, frozen: false });
  t.ok(
    results.every((r) => (r.fps ?? 0) >= 7 && (r.fps ?? 0) <= 13),
    results.map((r) => r.fps).join(', '),
  );
});

t.test('a slowed stream shows its low frame rate', async (t) => {
  const result = await new RtspProbe(camera.url('/slow'), { playMs: 3000 }).probe();
  t.equal(result.ok, true);
  t.ok(
    result.fps !== undefined && result.fps >= 1.5 && result.fps <= 4,
    `fps ${result.fps} (the server sends 2.5)`,
  );
  t.equal(result.frozen, false);
});

t.test('a camera frozen on one picture is reported frozen', async (t) => {
  const result = await new RtspProbe(camera.url('/frozen')).probe();
  t.match(result, { ok: true, frozen: true });
  t.ok(result.fps !== undefined && result.fps >= 7 && result.fps <= 13, `still streaming: fps ${result.fps}`);
});

t.test('a camera behind Digest authentication plays with the credentials from its URL', async (t) => {
  const result = await new RtspProbe(camera.url('/auth', `technician:${SECRET}`), { playMs: 1000 }).probe();
  t.match(result, { ok: true, frozen: false });
  t.ok((result.fps ?? 0) >= 7, `fps ${result.fps}`);
});

t.test(
  'without credentials, or with wrong ones, it is refused, and no reason shows a password',
  async (t) => {
    const where = `127.0.0.1:${camera.port}`;
    t.same(await new RtspProbe(camera.url('/auth')).probe(), {
      ok: false,
      reason: `RTSP DESCRIBE answered 401 Unauthorized (${where}): the URL has no credentials`,
    });
    const wrong = await new RtspProbe(camera.url('/auth', 'technician:n0t-it')).probe();
    t.same(wrong, {
      ok: false,
      reason: `RTSP DESCRIBE answered 401 Unauthorized (${where}): the credentials were refused`,
    });
    const missing = await new RtspProbe(camera.url('/no-such-stream', `technician:${SECRET}`)).probe();
    t.same(missing, { ok: false, reason: `RTSP DESCRIBE answered 404 Not Found (${where})` });
    for (const r of [wrong, missing]) t.notMatch(r.reason ?? '', /n0t-it|s3cret|technician/);
  },
);

t.test('a camera behind Basic authentication plays with the credentials from its URL', async (t) => {
  const basic = await startRtspCamera(t, 'basic');
  const result = await new RtspProbe(basic.url('/auth', `technician:${SECRET}`), { playMs: 1000 }).probe();
  t.match(result, { ok: true });
  t.match(await new RtspProbe(basic.url('/auth', 'technician:n0t-it')).probe(), {
    ok: false,
    reason: /401 Unauthorized .*: the credentials were refused$/,
  });
});

t.test(
  "a stopped RTSP server is offline with 'connection refused', and ok again once it is back",
  async (t) => {
    const flaky = await startRtspCamera(t);
    const probe = new RtspProbe(flaky.url('/clip', `technician:${SECRET}`), { playMs: 1000 });
    t.match(await probe.probe(), { ok: true });
    await flaky.stop();
    t.same(await probe.probe(), { ok: false, reason: `connection refused by 127.0.0.1:${flaky.port}` });
    await flaky.restart();
    t.match(await probe.probe(), { ok: true });
  },
);

t.test('abort ends a probe in the middle of a stream at once', async (t) => {
  const before = held();
  const probe = new RtspProbe(camera.url('/clip'), { playMs: 60_000, timeoutMs: 60_000 });
  await t.rejects(
    probe.probe(AbortSignal.timeout(500)),
    { name: 'TimeoutError' },
    'rejects with the signal reason',
  );
  t.same(held(), before, 'the socket is gone when the promise settles');
});
