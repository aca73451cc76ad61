// The TCP probe, and what every probe shares (probe-scope): reasons for socket errors, aborts, timers.
import { createServer, type Server } from 'node:net';
import t from 'tap';
import { CameraDown, runProbe, socketFailure } from '../../src/drivers/camera/probe-scope.js';
import { TcpProbe } from '../../src/drivers/camera/tcp.js';
import { FakeClock } from '../../src/system/clock.js';
import { until } from '../helpers/daemon.js';
import type { TestContext } from '../helpers/tap-types.js';

interface Listening {
  server: Server;
  port: number;
  accepted: () => number;
  open: () => number;
}

async function listening(t: TestContext): Promise<Listening> {
  let accepted = 0;
  let open = 0;
  const server = createServer((socket) => {
    accepted += 1;
    open += 1;
    socket.on('close', () => {
      open -= 1;
    });
    socket.on('error', () => {});
    // Read, or the hang-up (EOF) is never seen.
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return {
    server,
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    open: () => open,
  };
}

t.test('a camera whose port accepts is ok, with the time it took to connect', async (t) => {
  const { port, accepted, open } = await listening(t);
  const result = await new TcpProbe(`tcp://127.0.0.1:${port}`).probe();
  t.equal(result.ok, true);
  t.ok(result.latencyMs !== undefined && result.latencyMs >= 0, `latency ${result.latencyMs}`);
  t.equal(accepted(), 1);
  await until(() => open() === 0, 5000, 'the probe hung up');
});

t.test('an RTSP or HTTP URL is knocked on at its port', async (t) => {
  const { port, accepted } = await listening(t);
  t.match(await new TcpProbe(`rtsp://admin:pw@127.0.0.1:${port}/stream1`).probe(), { ok: true });
  t.equal(accepted(), 1);
});

t.test("a port nobody listens on is offline with 'connection refused'", async (t) => {
  const { port, server } = await listening(t);
  await new Promise((resolve) => server.close(resolve));
  t.same(await new TcpProbe(`tcp://127.0.0.1:${port}`).probe(), {
    ok: false,
    reason: `connection refused by 127.0.0.1:${port}`,
  });
});

t.test('no connection within the timeout is reported, and leaves no timer behind', async (t) => {
  const clock = new FakeClock();
  const { port } = await listening(t);
  const result = new TcpProbe(`tcp://127.0.0.1:${port}`, { timeoutMs: 250, clock }).probe();
  clock.advance(250);
  t.same(await result, { ok: false, reason: `no connection to 127.0.0.1:${port} within 250 ms` });
  t.equal(clock.pending, 0);
  const ok = new TcpProbe(`tcp://127.0.0.1:${port}`, { timeoutMs: 250, clock }).probe();
  t.match(await ok, { ok: true });
  t.equal(clock.pending, 0, 'a probe that connected cleared its timeout');
});

t.test('abort rejects with its reason; a closed probe does not probe', async (t) => {
  const { port, accepted } = await listening(t);
  const probe = new TcpProbe(`tcp://127.0.0.1:${port}`, { timeoutMs: 60_000 });
  const stop = new AbortController();
  const result = probe.probe(stop.signal);
  stop.abort(new Error('shutting down'));
  await t.rejects(result, { message: 'shutting down' });
  await probe.close();
  t.same(await probe.probe(), { ok: false, reason: 'probe closed' });
  t.ok(accepted() <= 1);
});

t.test('socket errors are told in a technician’s words, naming only host:port', async (t) => {
  const error = (code?: string) => Object.assign(new Error(`connect ${code} 10.0.0.5:554`), { code });
  const where = '10.0.0.5:554';
  t.equal(socketFailure(error('ECONNREFUSED'), where).message, 'connection refused by 10.0.0.5:554');
  t.equal(socketFailure(error('ECONNRESET'), where).message, 'connection reset by 10.0.0.5:554');
  t.equal(socketFailure(error('EHOSTUNREACH'), where).message, '10.0.0.5:554 is unreachable (EHOSTUNREACH)');
  t.equal(socketFailure(error('ENETUNREACH'), where).message, '10.0.0.5:554 is unreachable (ENETUNREACH)');
  t.equal(
    socketFailure(error('ENOTFOUND'), 'cam.local:554').message,
    "cannot resolve the camera's host name (cam.local:554, ENOTFOUND)",
  );
  t.equal(socketFailure(error('EPIPE'), where).message, 'connection to 10.0.0.5:554 failed (EPIPE)');
  t.equal(socketFailure(new Error('odd'), where).message, 'connection to 10.0.0.5:554 failed (odd)');
  t.equal(socketFailure('odder', where).message, 'connection to 10.0.0.5:554 failed (odder)');
  t.type(socketFailure(error('ECONNREFUSED'), where), CameraDown);
});

t.test('a probe that fails unexpectedly is not ok rather than a rejection', async (t) => {
  t.same(
    await runProbe(undefined, undefined, async () => {
      throw new TypeError('a bug');
    }),
    { ok: false, reason: 'probe failed: a bug' },
  );
  t.same(await runProbe(undefined, undefined, () => Promise.reject('a string')), {
    ok: false,
    reason: 'probe failed: a string',
  });
});
