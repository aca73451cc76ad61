// End to end: the real daemon process on a simulated store, the reference upstream as its cloud.
import { join } from 'node:path';
import t from 'tap';
import { Outbox } from '../../src/outbox/outbox.js';
import { silentLogger } from '../../src/system/log.js';
import { Secret } from '../../src/system/secret.js';
import { startUpstream, type Upstream } from '../../src/upstream/server.js';
import { startDaemon, until, writeBusyStore } from '../helpers/daemon.js';
import { startFlakyNetwork } from '../helpers/flaky-network.js';
import type { TestContext } from '../helpers/tap-types.js';

const hubId = 'hub-e2e';
const token = new Secret('e2e-token');

async function upstreamIn(dir: string, opts: { port?: number; ackDelayMs?: number } = {}): Promise<Upstream> {
  return startUpstream({
    port: opts.port ?? 0,
    tokens: [token],
    dbPath: join(dir, 'cloud.db'),
    log: silentLogger(),
    ...opts,
  });
}

/** Every stored event of the hub, with the checks every scenario shares: seqs 1..N, each once. */
function delivered(t: TestContext, upstream: Upstream) {
  const events = upstream.events(hubId, 0, 1_000_000);
  const seqs = events.map((e) => e.seq);
  t.same(
    seqs,
    Array.from({ length: seqs.length }, (_, i) => i + 1),
    `seqs 1..${seqs.length} arrived in order, none missing, none twice`,
  );
  t.equal(new Set(events.map((e) => e.id)).size, events.length, 'every event id is stored once');
  return events;
}

/** After the daemon stopped: its outbox holds nothing the cloud lacks. */
function outboxDrainedInto(t: TestContext, dir: string, upstream: Upstream) {
  const outbox = Outbox.open({
    path: join(dir, 'hub-data', 'outbox.db'),
    hub: { hubId, storeId: 'store-e2e' },
    maxEvents: 1_000_000,
    commitIntervalMs: 0,
    log: silentLogger(),
  });
  const left = outbox.readAfter(0, 1_000_000);
  const stored = new Set(upstream.events(hubId, 0, 1_000_000).map((e) => e.id));
  t.ok(
    left.every((e) => stored.has(e.id)),
    `the ${left.length} events still in the outbox are all at the cloud already`,
  );
  t.equal(outbox.lastSeq, upstream.stats(hubId).ackedSeq, "the cloud has the hub's last seq");
  outbox.close();
}

t.test(
  'the daemon delivers its events, and on SIGTERM says hub.stopping and exits 0 within seconds',
  async (t) => {
    const dir = t.testdir();
    const upstream = await upstreamIn(dir);
    t.teardown(() => upstream.close());
    const daemon = startDaemon(['run', '--config', writeBusyStore(dir, 'ws://127.0.0.1:1/unused')], {
      STORE_GATEWAY_UPSTREAM_URL: upstream.url,
      STORE_GATEWAY_UPSTREAM_TOKEN: token.reveal(),
    });
    await until(() => upstream.stats(hubId).ackedSeq >= 15, 60_000, 'fifteen events at the cloud');
    const stopAt = Date.now();
    daemon.child.kill('SIGTERM');
    const { code } = await daemon.exited;
    t.equal(code, 0, 'clean exit');
    t.ok(Date.now() - stopAt < 5000, `stopped in ${Date.now() - stopAt} ms`);
    const events = delivered(t, upstream);
    t.equal(events[0]?.kind, 'hub.started');
    t.match(events[0]?.data, { previousStop: 'none', devices: 7 });
    t.ok(
      events.some((e) => e.kind === 'device.status' && (e.data as { status: string }).status === 'offline'),
      'simulated faults arrive as device.status offline',
    );
    t.equal(events.at(-1)?.kind, 'hub.stopping', 'the last event says the hub is stopping');
    t.notMatch(daemon.output(), /e2e-token/, 'the token is never logged');
    outboxDrainedInto(t, dir, upstream);
  },
);

t.test(
  'killed with SIGKILL at arbitrary moments and restarted, the hub loses nothing and repeats no seq',
  async (t) => {
    const dir = t.testdir();
    const upstream = await upstreamIn(dir);
    t.teardown(() => upstream.close());
    const config = writeBusyStore(dir, upstream.url);
    const kills = [700, 1300, 400, 1900];
    for (const ms of kills) {
      const before = upstream.stats(hubId).ackedSeq;
      const daemon = startDaemon(['run', '--config', config]);
      await until(() => upstream.stats(hubId).ackedSeq > before, 60_000, 'the restarted hub delivering');
      await new Promise((r) => setTimeout(r, ms));
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
    const last = startDaemon(['run', '--config', config]);
    const before = upstream.stats(hubId).ackedSeq;
    await until(() => upstream.stats(hubId).ackedSeq > before + 5, 60_000, 'the last run delivering');
    last.child.kill('SIGTERM');
    t.equal((await last.exited).code, 0);
    const events = delivered(t, upstream);
    const starts = events
      .filter((e) => e.kind === 'hub.started')
      .map((e) => (e.data as { previousStop: string }).previousStop);
    t.same(starts, ['none', 'crash', 'crash', 'crash', 'crash'], 'each start after a kill reports the crash');
    outboxDrainedInto(t, dir, upstream);
  },
);

t.test(
  'when the cloud goes away for a while, events wait in the outbox and all arrive when it is back',
  async (t) => {
    const dir = t.testdir();
    let upstream = await upstreamIn(dir);
    const port = upstream.port;
    const daemon = startDaemon(['run', '--config', writeBusyStore(dir, upstream.url)]);
    await until(() => upstream.stats(hubId).ackedSeq >= 5, 60_000, 'first events');
    await upstream.close();
    await new Promise((r) => setTimeout(r, 2500));
    upstream = await upstreamIn(dir, { port });
    t.teardown(() => upstream.close());
    const atReturn = upstream.stats(hubId).ackedSeq;
    await until(() => upstream.stats(hubId).ackedSeq > atReturn + 5, 60_000, 'the backlog and new events');
    daemon.child.kill('SIGTERM');
    t.equal((await daemon.exited).code, 0);
    const events = delivered(t, upstream);
    t.ok(events.length > atReturn + 5, 'what happened during the outage arrived after it');
    outboxDrainedInto(t, dir, upstream);
  },
);

t.test(
  'a reconnect storm (the link cut again and again) loses nothing and stores nothing twice',
  async (t) => {
    const dir = t.testdir();
    const upstream = await upstreamIn(dir);
    t.teardown(() => upstream.close());
    const network = await startFlakyNetwork(upstream.port);
    t.teardown(() => network.close());
    const daemon = startDaemon([
      'run',
      '--config',
      writeBusyStore(dir, `ws://127.0.0.1:${network.port}/hub`),
    ]);
    await until(() => upstream.stats(hubId).ackedSeq >= 5, 60_000, 'first events');
    for (let i = 0; i < 15; i++) {
      network.cut();
      await new Promise((r) => setTimeout(r, 150 + ((i * 37) % 200)));
    }
    const after = upstream.stats(hubId).ackedSeq;
    await until(() => upstream.stats(hubId).ackedSeq > after + 5, 60_000, 'delivery after the storm');
    daemon.child.kill('SIGTERM');
    t.equal((await daemon.exited).code, 0);
    t.ok(network.connections >= 5, `the hub reconnected ${network.connections} times`);
    delivered(t, upstream);
    outboxDrainedInto(t, dir, upstream);
  },
);

t.test(
  'a slow cloud never has more than maxInFlight events unacknowledged, and still gets them all',
  async (t) => {
    const dir = t.testdir();
    const upstream = await upstreamIn(dir, { ackDelayMs: 150 });
    t.teardown(() => upstream.close());
    let acked = 0;
    let worst = 0;
    upstream.on('ack', ({ seq }) => {
      acked = Math.max(acked, seq);
    });
    upstream.on('event', ({ event }) => {
      worst = Math.max(worst, event.seq - acked);
    });
    const daemon = startDaemon(['run', '--config', writeBusyStore(dir, upstream.url, '  maxInFlight: 5')]);
    await until(() => upstream.connectedHubs().includes(hubId), 60_000, 'the hub connected');
    // Commands give a steady stream of audit.command events, whatever the simulated devices do.
    for (let i = 0; i < 40; i++) await upstream.sendCommand(hubId, 'hub.status', {});
    await until(() => upstream.stats(hubId).ackedSeq >= 40, 60_000, 'forty events through a slow cloud');
    daemon.child.kill('SIGTERM');
    await daemon.exited;
    t.ok(worst <= 5, `at most ${worst} events were in flight (limit 5)`);
    delivered(t, upstream);
  },
);

t.test('a command from the cloud is answered and leaves an audit.command event behind', async (t) => {
  const dir = t.testdir();
  const upstream = await upstreamIn(dir);
  t.teardown(() => upstream.close());
  const daemon = startDaemon(['run', '--config', writeBusyStore(dir, upstream.url)]);
  await until(() => upstream.connectedHubs().includes(hubId), 60_000, 'the hub connected');
  const status = await upstream.sendCommand(hubId, 'hub.status', {});
  t.match(status, { ok: true, result: { uplink: { state: 'streaming' }, outbox: { lastSeq: Number } } });
  const unknown = await upstream.sendCommand(hubId, 'gate.teleport', { gateId: 'g1' });
  t.match(unknown, { ok: false, error: { code: 'unknown_command' } });
  await until(
    () => upstream.events(hubId, 0, 100_000).filter((e) => e.kind === 'audit.command').length === 2,
    60_000,
    'both audit events',
  );
  const audits = upstream.events(hubId, 0, 100_000).filter((e) => e.kind === 'audit.command');
  t.same(
    audits.map((e) => [(e.data as { name: string }).name, (e.data as { ok: boolean }).ok]),
    [
      ['hub.status', true],
      ['gate.teleport', false],
    ],
  );
  daemon.child.kill('SIGTERM');
  t.equal((await daemon.exited).code, 0);
});

t.test('a corrupt outbox stops the daemon at start with exit 1 and a clear message', async (t) => {
  const dir = t.testdir({ 'hub-data': { 'outbox.db': 'not a database at all '.repeat(200) } });
  const daemon = startDaemon(['run', '--config', writeBusyStore(dir, 'ws://127.0.0.1:9/hub')]);
  const { code } = await daemon.exited;
  t.equal(code, 1);
  t.match(daemon.output(), /outbox .*outbox\.db: the file is corrupt or not an outbox.*move the file aside/);
});
