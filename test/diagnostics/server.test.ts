// The hub's local HTTP server on its own: what it answers, what it refuses, and a port already taken.
import t from 'tap';
import { HubMetrics, type MetricsSource } from '../../src/diagnostics/metrics.js';
import { type DiagnosticsOptions, DiagnosticsServer } from '../../src/diagnostics/server.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { testLive } from '../helpers/live-sources.js';
import { captureLog } from '../helpers/log-capture.js';
import type { TestContext } from '../helpers/tap-types.js';

const source: MetricsSource = {
  uplink: { state: 'waiting', ackedSeq: 40, sentSeq: 42, reconnects: 3, connections: 4 },
  outbox: { depth: 2, lastSeq: 42 },
  devices: [{ deviceId: 'cam-1', deviceKind: 'camera', status: 'degraded' }],
  shelves: {
    buses: [{ busId: 'rs485-1', boards: [{ boardId: 'mod-1', rateHz: 24.5 }, { boardId: 'mod-2' }] }],
  },
  gates: [],
  store: { announced: { mode: 'degraded' } },
};

/** The server's options with nobody to sign in and nothing to run, but for what a test gives. */
function options(overrides: Partial<DiagnosticsOptions> = {}): DiagnosticsOptions {
  return {
    listen: '127.0.0.1:0',
    metrics: new HubMetrics(() => source),
    accounts: [],
    sessionMinutes: 480,
    live: testLive(),
    command: async () => ({ ok: true }),
    clock: new FakeClock(),
    log: silentLogger(),
    ...overrides,
  };
}

async function serve(t: TestContext, metrics = new HubMetrics(() => source)) {
  const server = new DiagnosticsServer(options({ metrics }));
  await server.start();
  t.teardown(() => server.stop());
  return server;
}

t.test('the gauges read the hub as it is at the scrape', async (t) => {
  const server = await serve(t);
  const text = await (await fetch(`http://${server.address}/metrics`)).text();
  t.match(text, /^store_gateway_outbox_depth 2$/m);
  t.match(text, /^store_gateway_events_acked_seq 40$/m);
  t.match(text, /^store_gateway_uplink_reconnects 3$/m);
  t.match(text, /^store_gateway_uplink_state\{state="waiting"\} 1$/m);
  t.match(text, /^store_gateway_device_status\{device="cam-1",kind="camera",status="degraded"\} 1$/m);
  t.match(text, /^store_gateway_board_sample_rate_hz\{bus="rs485-1",board="mod-1"\} 24\.5$/m);
  t.notMatch(text, /board="mod-2"/, 'a board whose rate is not measured has no rate');
  const head = await fetch(`http://${server.address}/metrics`, { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(await head.text(), '', 'HEAD has no body');
});

t.test('a port already taken is a clear refusal; stopping twice is fine', async (t) => {
  const first = await serve(t);
  const second = new DiagnosticsServer(options({ listen: first.address }));
  await t.rejects(second.start(), { message: `diagnostics cannot listen on ${first.address}: EADDRINUSE` });
  await second.stop();
  await first.stop();
  await first.stop();
});

t.test(
  'a failure while answering is a 500 and a log line, and the server answers the next request',
  async (t) => {
    let broken = true;
    const metrics = new HubMetrics(() => {
      if (broken) throw new Error('status unavailable');
      return source;
    });
    const logged = captureLog();
    const server = new DiagnosticsServer(options({ metrics, log: logged.log }));
    await server.start();
    t.teardown(() => server.stop());
    const failed = await fetch(`http://${server.address}/metrics`);
    t.equal(failed.status, 500);
    t.match(await failed.text(), /see the hub log/);
    t.match(logged.text(), /diagnostics request failed/);
    broken = false;
    t.equal((await fetch(`http://${server.address}/metrics`)).status, 200);
  },
);
