import { join } from 'node:path';
import t from 'tap';
import { Outbox } from '../../src/outbox/outbox.js';
import { silentLogger } from '../../src/system/log.js';
import { Secret } from '../../src/system/secret.js';
import { RequestError, Uplink, type UplinkOptions } from '../../src/uplink/uplink.js';
import { captureLog } from '../helpers/log-capture.js';
import { type CloudScript, startScriptedCloud } from '../helpers/scripted-cloud.js';
import type { TestContext } from '../helpers/tap-types.js';

const hub = { hubId: 'hub-t', storeId: 'store-t' };
const settings = {
  maxInFlight: 100,
  maxBufferedBytes: 1024 * 1024,
  maxFrameBytes: 1024 * 1024,
  pingIntervalMs: 1000,
  helloTimeoutMs: 2000,
  requestTimeoutMs: 500,
  reconnectMinMs: 40,
  reconnectMaxMs: 400,
  rejectedRetryMs: 60_000,
};

async function setup(t: TestContext, script: CloudScript = {}, extra: Partial<UplinkOptions> = {}) {
  const cloud = await startScriptedCloud(script);
  const outbox = Outbox.open({
    path: join(t.testdir(), 'o.db'),
    hub,
    maxEvents: 100_000,
    commitIntervalMs: 1,
    log: silentLogger(),
  });
  const uplink = new Uplink({
    url: cloud.url,
    token: new Secret('test-token'),
    hub,
    version: '0.0.0-test',
    source: outbox,
    settings,
    log: silentLogger(),
    random: () => 0.5,
    ...extra,
    ...(extra.settings ? { settings: { ...settings, ...extra.settings } } : {}),
  });
  t.teardown(async () => {
    await uplink.stop();
    outbox.close();
    await cloud.close();
  });
  return { cloud, outbox, uplink };
}

const emitMany = (outbox: Outbox, n: number) =>
  Promise.all(Array.from({ length: n }, (_, i) => outbox.emit('hub.stopping', { reason: `e${i}` })));

const until = async (what: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

t.test(
  'the hub says hello with its ids, and every event reaches the cloud in order and is then deleted',
  async (t) => {
    const { cloud, outbox, uplink } = await setup(t, { welcome: 0, autoAck: true });
    await emitMany(outbox, 250);
    uplink.start();
    const conn = await cloud.nextConnection();
    t.match(await conn.next('hello'), {
      type: 'hello',
      protocol: 1,
      hubId: 'hub-t',
      storeId: 'store-t',
      version: '0.0.0-test',
    });
    await emitMany(outbox, 250);
    await until(() => uplink.ackedSeq === 500);
    const seqs = conn.frames.filter((f) => f.type === 'event').map((f) => f.seq);
    t.same(
      seqs,
      Array.from({ length: 500 }, (_, i) => i + 1),
    );
    const first = conn.frames.find((f) => f.type === 'event');
    t.same(
      Object.keys(first ?? {}).sort(),
      ['data', 'id', 'kind', 'seq', 'time', 'type'],
      'the frame is exactly protocol v1',
    );
    outbox.flush();
    t.equal(outbox.depth, 0, 'acknowledged events are gone from the outbox');
  },
);

t.test("after a reconnect the hub resumes right after the cloud's ackedSeq", async (t) => {
  const { cloud, outbox, uplink } = await setup(t, { welcome: 30 });
  await emitMany(outbox, 40);
  uplink.start();
  const conn = await cloud.nextConnection();
  const firstEvent = await conn.next('event');
  t.equal(firstEvent.seq, 31);
  await until(() => uplink.sentSeq === 40);
  outbox.flush();
  t.equal(outbox.depth, 10, 'the 30 the cloud already had are deleted');
  conn.socket.terminate();
  const again = await cloud.nextConnection();
  t.equal((await again.next('event')).seq, 31, 'unacknowledged events are sent again');
});

t.test('no more than maxInFlight events are unacknowledged at any time', async (t) => {
  const { cloud, outbox, uplink } = await setup(
    t,
    { welcome: 0 },
    { settings: { ...settings, maxInFlight: 10 } },
  );
  await emitMany(outbox, 50);
  uplink.start();
  const conn = await cloud.nextConnection();
  await until(() => uplink.sentSeq === 10);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(
    conn.frames.filter((f) => f.type === 'event').length,
    10,
    'the window is full and nothing more is sent',
  );
  conn.send({ type: 'ack', seq: 4 });
  await until(() => uplink.sentSeq === 14);
  t.pass('an ack opens the window by as many events as it acknowledged');
});

t.test(
  'when the cloud reads slowly the hub stops sending at maxBufferedBytes and resumes when it drains',
  async (t) => {
    const maxBufferedBytes = 64 * 1024;
    const { cloud, outbox, uplink } = await setup(
      t,
      { welcome: 0, autoAck: true },
      { settings: { ...settings, maxInFlight: 100_000, maxBufferedBytes } },
    );
    const big = 'x'.repeat(8000);
    const total = 8000;
    await Promise.all(Array.from({ length: total }, () => outbox.emit('hub.stopping', { reason: big })));
    uplink.start();
    const conn = await cloud.nextConnection();
    await conn.next('hello');
    const socket = (conn.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    // Once the kernel's buffers are full the hub's own buffer fills, and sending must stop there.
    await until(() => uplink.bufferedBytes >= maxBufferedBytes, 20_000);
    const stalled = uplink.sentSeq;
    await new Promise((r) => setTimeout(r, 300));
    t.equal(
      uplink.sentSeq,
      stalled,
      `sending stalled at seq ${stalled} of ${total} while the cloud did not read`,
    );
    t.ok(
      uplink.bufferedBytes <= maxBufferedBytes + 512 * 8100,
      `the hub buffered ${uplink.bufferedBytes} bytes: the cap plus at most one batch`,
    );
    socket.resume();
    await until(() => uplink.ackedSeq === total, 30_000);
    t.pass('everything arrived once the cloud read again');
  },
);

t.test('events recorded before a cloud that is ahead welcomes the hub are renumbered and sent', async (t) => {
  const { cloud, outbox, uplink } = await setup(t, { welcome: 500, autoAck: true });
  await emitMany(outbox, 3);
  uplink.start();
  const conn = await cloud.nextConnection();
  await until(() => uplink.ackedSeq === 503);
  t.same(
    conn.frames.filter((f) => f.type === 'event').map((f) => [f.seq, (f.data as { reason: string }).reason]),
    [
      [501, 'e0'],
      [502, 'e1'],
      [503, 'e2'],
    ],
  );
});

t.test(
  'a cloud that lost what it had acknowledged is logged, and sending goes on from what the hub has',
  async (t) => {
    const capture = captureLog();
    const { cloud, outbox, uplink } = await setup(t, { welcome: 0, autoAck: true }, { log: capture.log });
    await emitMany(outbox, 5);
    uplink.start();
    let conn = await cloud.nextConnection();
    await until(() => uplink.ackedSeq === 5);
    outbox.flush();
    conn.socket.terminate();
    conn = await cloud.nextConnection();
    await until(() => uplink.state === 'streaming');
    t.match(
      capture.lines.find((l) => l.level === 'error'),
      {
        msg: 'the cloud lost events it had acknowledged; they cannot be sent again',
        cloudAckedSeq: 0,
        hubAckedSeq: 5,
      },
    );
    await outbox.emit('hub.stopping', { reason: 'after' });
    t.equal((await conn.next('event')).seq, 6, 'the next event follows on');
    t.equal(await uplink.drain(2000), true, 'and a drain finishes instead of waiting for the lost ones');
  },
);

t.test(
  'a late answer to a timed-out request is dropped quietly, and an oversized frame is counted, not fatal',
  async (t) => {
    const { cloud, uplink } = await setup(
      t,
      { welcome: 0 },
      { settings: { ...settings, maxFrameBytes: 2048 } },
    );
    uplink.start();
    const conn = await cloud.nextConnection();
    await until(() => uplink.state === 'streaming');
    await t.rejects(uplink.request('entry.authorize', {}, 20), { code: 'timeout' });
    const req = await conn.next('request');
    conn.send({ type: 'response', id: req.id, result: { allow: true } });
    conn.send({ type: 'response', id: 'never-asked', result: {} });
    conn.send({ type: 'ack', seq: 0, padding: 'x'.repeat(4096) });
    await until(() => uplink.stats.invalidFrames === 2);
    t.equal(uplink.state, 'streaming', 'the connection stays up');
    t.equal(
      uplink.stats.invalidFrames,
      2,
      'the unknown answer and the oversized frame count; the late answer does not',
    );
  },
);

t.test('a cloud that stops answering pings is dropped and the hub reconnects', async (t) => {
  const { cloud, uplink } = await setup(t, { welcome: 0 }, { settings: { ...settings, pingIntervalMs: 50 } });
  uplink.start();
  const conn = await cloud.nextConnection();
  await until(() => uplink.state === 'streaming');
  (conn.socket as unknown as { _socket: { pause(): void } })._socket.pause();
  const second = await cloud.nextConnection();
  t.ok(second, 'a new connection was made');
  t.ok(uplink.stats.reconnects >= 1);
});

t.test('refused connections are retried with growing, jittered delays, never in a tight loop', async (t) => {
  const cloud = await startScriptedCloud();
  const url = cloud.url;
  await cloud.close();
  const capture = captureLog();
  const { uplink } = await setup(t, {}, { url, log: capture.log, random: () => 0.5 });
  uplink.start();
  await until(() => uplink.stats.reconnects >= 5);
  const retries = capture.lines.filter((l) => l.msg === 'cloud connection down; retrying');
  t.match(
    retries[0]?.reason,
    /ECONNREFUSED/,
    'the log says the connection was refused, not just "closed 1006"',
  );
  const delays = retries.map((l) => l.retryInMs);
  t.same(
    delays.slice(0, 5),
    [30, 60, 120, 240, 300],
    'each delay doubles (3/4 of the ceiling with this jitter) up to the maximum',
  );
});

t.test('a refused token is reported and retried only after the long delay', async (t) => {
  const capture = captureLog();
  const { cloud, uplink } = await setup(
    t,
    { refuseWith: 401 },
    { log: capture.log, token: new Secret('wrong-token') },
  );
  uplink.start();
  await until(() => capture.lines.some((l) => l.httpStatus === 401));
  await new Promise((r) => setTimeout(r, 300));
  t.equal(cloud.refusals, 1, 'no second attempt within the long delay');
  const line = capture.lines.find((l) => l.httpStatus === 401);
  t.match(line?.msg, /refused the token \(HTTP 401\)/);
  t.ok((line?.retryInMs as number) >= 54_000, 'the retry waits about rejectedRetryMs');
  t.notMatch(capture.text(), /wrong-token/, 'the token never appears in the log');
});

t.test(
  'frames that are invalid are counted and dropped, and a cloud that keeps sending them is disconnected',
  async (t) => {
    const { cloud, outbox, uplink } = await setup(t, { welcome: 0 });
    await emitMany(outbox, 3);
    uplink.start();
    const conn = await cloud.nextConnection();
    await until(() => uplink.sentSeq === 3);
    conn.send('not json');
    conn.send({ type: 'surprise' });
    conn.send({ type: 'ack', seq: 99 });
    conn.send({ type: 'ack', seq: 'three' });
    conn.send([1, 2]);
    conn.send({ type: 'ack', seq: 2 });
    await until(() => uplink.ackedSeq === 2);
    t.equal(uplink.stats.invalidFrames, 5, 'five invalid frames counted; the valid ack still counts');
    t.equal(uplink.state, 'streaming', 'a few bad frames do not drop the connection');
    const closed = new Promise<number>((resolve) => conn.socket.on('close', (code) => resolve(code)));
    for (let i = 0; i < 20; i++) conn.send('garbage');
    t.equal(await closed, 1008, 'closed with policy violation');
  },
);

t.test('requests get answers, cloud errors, timeouts, and fail at once while offline', async (t) => {
  const { cloud, uplink } = await setup(t, { welcome: 0 });
  await t.rejects(uplink.request('entry.authorize', {}), { code: 'offline' });
  uplink.start();
  const conn = await cloud.nextConnection();
  await until(() => uplink.state === 'streaming');
  const answered = uplink.request('entry.authorize', { gateId: 'g1' });
  const req = await conn.next('request');
  t.match(req, { method: 'entry.authorize', params: { gateId: 'g1' } });
  conn.send({ type: 'response', id: req.id, result: { allow: true } });
  t.same(await answered, { allow: true });
  const refused = uplink.request('entry.authorize', {});
  const req2 = await conn.next('request');
  conn.send({ type: 'response', id: req2.id, error: { code: 'blocked', message: 'account blocked' } });
  await t.rejects(refused, new RequestError('blocked', 'account blocked'));
  await t.rejects(uplink.request('entry.authorize', {}, 30), { code: 'timeout' });
  const lost = uplink.request('entry.authorize', {});
  await conn.next('request');
  conn.socket.terminate();
  await t.rejects(lost, { code: 'offline' }, 'a request open when the connection drops fails at once');
});

t.test('commands from the cloud are carried out and answered with their outcome', async (t) => {
  let calls = 0;
  const { cloud, uplink } = await setup(
    t,
    { welcome: 0 },
    {
      onCommand: async (cmd) => {
        calls++;
        if (cmd.name === 'explode') throw new Error('relay stuck');
        return cmd.name === 'gate.unlock'
          ? { ok: true, result: { gateId: cmd.args.gateId } }
          : { ok: false, error: { code: 'unknown_command', message: cmd.name } };
      },
    },
  );
  uplink.start();
  const conn = await cloud.nextConnection();
  await until(() => uplink.state === 'streaming');
  conn.send({ type: 'command', id: 'c1', name: 'gate.unlock', args: { gateId: 'gate-in' } });
  t.same(await conn.next('command.result'), {
    type: 'command.result',
    id: 'c1',
    ok: true,
    result: { gateId: 'gate-in' },
  });
  conn.send({ type: 'command', id: 'c2', name: 'explode' });
  t.match(await conn.next('command.result'), {
    id: 'c2',
    ok: false,
    error: { code: 'internal', message: 'relay stuck' },
  });
  conn.send({ type: 'command', id: 'c3', name: 'nope', args: {} });
  t.match(await conn.next('command.result'), { id: 'c3', ok: false, error: { code: 'unknown_command' } });
  t.equal(calls, 3);
});

t.test('a hub without a command handler refuses commands', async (t) => {
  const { cloud, uplink } = await setup(t, { welcome: 0 });
  uplink.start();
  const conn = await cloud.nextConnection();
  await until(() => uplink.state === 'streaming');
  conn.send({ type: 'command', id: 'c1', name: 'gate.unlock', args: {} });
  t.match(await conn.next('command.result'), { ok: false, error: { code: 'unknown_command' } });
});

t.test('a cloud that never welcomes the hub is left and retried', async (t) => {
  const { cloud, uplink } = await setup(t, {}, { settings: { ...settings, helloTimeoutMs: 100 } });
  uplink.start();
  await cloud.nextConnection();
  await cloud.nextConnection();
  t.pass('reconnected after the hello timeout');
});

t.test('a cloud ahead of the outbox moves numbering past its ackedSeq', async (t) => {
  const { cloud, outbox, uplink } = await setup(t, { welcome: 500, autoAck: true });
  uplink.start();
  const conn = await cloud.nextConnection();
  await until(() => uplink.state === 'streaming');
  await outbox.emit('hub.stopping', { reason: 'x' });
  t.equal((await conn.next('event')).seq, 501);
});

t.test('stopping closes the connection politely', async (t) => {
  const { cloud, uplink } = await setup(t, { welcome: 0 });
  uplink.start();
  const conn = await cloud.nextConnection();
  await until(() => uplink.state === 'streaming');
  const closed = new Promise<number>((resolve) => conn.socket.on('close', (code) => resolve(code)));
  await uplink.stop();
  t.equal(await closed, 1001);
  t.equal(uplink.state, 'stopped');
});
