// End to end for the gates, with the daemon's own composition (App) in this process so the test can
// play the shopper at the simulated gate's beams: a QR scanner on a real pseudo-terminal pair, the
// reference upstream as the cloud, and what arrives there checked event by event.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { App } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { SimGpioChip } from '../../src/drivers/gpio/sim.js';
import { silentLogger } from '../../src/system/log.js';
import { until } from '../helpers/daemon.js';
import { startE2eUpstream } from '../helpers/e2e-upstream.js';
import { startPtyPair } from '../helpers/pty.js';
import { AUDIENCE, KID, tokenMint } from '../helpers/qr-tokens.js';
import type { TestContext } from '../helpers/tap-types.js';

const hubId = 'hub-gates-e2e';

function storeConfig(dir: string, scannerPort: string, upstreamUrl: string, x: string, moreGates: string[]) {
  const file = join(dir, 'store.yaml');
  writeFileSync(
    file,
    `hub: { id: ${hubId}, storeId: ${AUDIENCE} }
dataDir: hub-data
upstream: { url: ${upstreamUrl}, tokenFile: token, reconnectMinMs: 50, reconnectMaxMs: 400 }
log: { level: warn }
devices:
  gates:
    - { id: gate-in, role: entry, driver: sim, profile: gate-swing }
    - { id: gate-out, role: exit, driver: sim, profile: gate-swing }
${moreGates.map((gate) => `    - ${gate}\n`).join('')}  scanners:
    - { id: qr-in, kind: qr, gateId: gate-in, driver: serial, path: ${scannerPort} }
    - { id: palm-in, kind: palm, gateId: gate-in, driver: sim }
  shelves:
    - { id: shelf-1, driver: sim, plates: 2, sampleRateHz: 40, planogram: [{ sku: cola, plates: [0] }] }
catalogue:
  products: [{ sku: cola, name: Cola 330 ml can, grams: 355, spreadGrams: 3 }]
credentials:
  qr: { keys: [{ kid: ${KID}, x: ${x} }] }
store: { criticalDevices: [qr-in], warmUpSeconds: 0 }
diagnostics: { listen: "127.0.0.1:0" }
sim: { seed: 5, faultEverySeconds: 0, shoppersEverySeconds: 0, gateShoppersEverySeconds: 0 }
`,
  );
  return file;
}

/**
 * One person through the lane of a simulated swing gate (its beams are active-high), a step every
 * 60 ms: longer than the beams' debounce, as a real stride is.
 */
async function walk(chip: SimGpioChip, direction: 'in' | 'out') {
  const [near, far] = direction === 'in' ? ['beamOuter', 'beamInner'] : ['beamInner', 'beamOuter'];
  for (const [line, level] of [
    [near, 1],
    [far, 1],
    [near, 0],
    [far, 0],
  ] as const) {
    chip.drive(line as string, level);
    await new Promise((r) => setTimeout(r, 60));
  }
}

/** The store of these tests; `moreGates` adds gates to its two, each a YAML flow mapping. */
async function storeUnderTest(t: TestContext, moreGates: string[] = []) {
  const dir = t.testdir();
  const upstream = await startE2eUpstream(t, dir);
  const pty = await startPtyPair(t);
  const { x, mint } = await tokenMint();
  const configFile = storeConfig(dir, pty.hubPath, upstream.url, x, moreGates);
  const config = loadConfig(configFile, {});
  const app = new App({ config, log: silentLogger(), version: 'e2e' });
  const sim = app.devices.sim as NonNullable<typeof app.devices.sim>;
  sim.shelf('shelf-1').stockItem([0], 355 * 4);
  await app.start();
  t.teardown(() => app.stop('test over'));
  await until(() => app.uplink.state === 'streaming', 10_000, 'uplink streaming');
  await until(
    () => app.devices.statuses().some((s) => s.deviceId === 'qr-in' && s.status === 'online'),
    10_000,
    'the serial scanner online',
  );
  const events = () => upstream.events(hubId, 0, 100_000);
  const kinds = (kind: string) => events().filter((e) => e.kind === kind);
  /** The scanner reads a code: its bytes then CR, as a USB-CDC scanner sends it. */
  const scan = (code: string) => writeFileSync(pty.devicePath, `${code}\r`);
  return { app, sim, upstream, events, kinds, scan, mint, pty, configFile };
}

t.test('a shopper scans, walks in, takes a can and leaves: one trip, named on every event', async (t) => {
  const store = await storeUnderTest(t);
  const gateIn = store.sim.gpio('gate-in');
  const gateOut = store.sim.gpio('gate-out');
  const token = await store.mint(Date.now(), { jti: 'ticket-e2e-1' });
  store.scan(token);
  await until(() => gateIn.level('unlock') === 1, 5000, 'the entry gate opening');
  await walk(gateIn, 'in');
  await until(() => store.kinds('shopper.entered').length === 1, 5000, 'shopper.entered upstream');
  const [started] = store.kinds('trip.started');
  const tripId = started?.data.tripId as string;
  t.same(started?.data, {
    tripId,
    gateId: 'gate-in',
    credentialKind: 'qr',
    partySize: 1,
    credentialRef: 'qr:ticket-e2e-1',
  });
  t.same(store.kinds('shopper.entered')[0]?.data, { tripId, gateId: 'gate-in' });

  store.sim.shelf('shelf-1').liftItem([0], 355);
  await until(() => store.kinds('shelf.pick').length === 1, 10_000, 'the pick upstream');
  t.match(store.kinds('shelf.pick')[0]?.data, {
    shelfId: 'shelf-1',
    tripId,
    items: [{ sku: 'cola', qty: 1 }],
  });

  t.equal(gateOut.level('unlock'), 1, 'the exit is free');
  await walk(gateOut, 'out');
  await until(() => store.kinds('shopper.exited').length === 1, 5000, 'shopper.exited upstream');
  t.same(store.kinds('shopper.exited')[0]?.data, { gateId: 'gate-out', tripId });
  t.notMatch(JSON.stringify(store.events()), token.split('.')[2] as string, 'the token is in no event');
  t.same(store.kinds('gate.alarm'), [], 'no alarm on an ordinary visit');
});

t.test(
  'a replayed token and a forged one are denied with their reasons; the gate stays locked',
  async (t) => {
    const store = await storeUnderTest(t);
    const gateIn = store.sim.gpio('gate-in');
    const token = await store.mint(Date.now());
    store.scan(token);
    await until(() => store.kinds('trip.started').length === 1, 5000, 'the first entry');
    // The shopper walks away; the gate relocks after its window and the same code is tried again.
    await until(() => gateIn.level('unlock') === 0, 10_000, 'relocked after the walk-away');
    store.scan(token);
    const forged = await (await tokenMint()).mint(Date.now());
    await until(() => store.kinds('entry.denied').length === 1, 5000, 'the replay denied');
    store.scan(forged);
    await until(() => store.kinds('entry.denied').length === 2, 5000, 'the forgery denied');
    store.scan('x'.repeat(3000));
    await until(() => store.kinds('entry.denied').length === 3, 5000, 'the long code denied');
    t.same(
      store.kinds('entry.denied').map((e) => e.data.reason),
      ['replayed', 'bad_signature', 'too_long'],
    );
    t.equal(store.kinds('trip.started').length, 1, 'no second trip');
    t.equal(gateIn.level('unlock'), 0);
  },
);

t.test('a fire alarm opens every gate at once; the reset waits for the alarm to clear', async (t) => {
  // A door on request-to-exit: locked at rest like the entry, and not the gate the alarm comes in at.
  const store = await storeUnderTest(t, ['{ id: door-out, role: exit, driver: sim, profile: gate-door }']);
  const gateIn = store.sim.gpio('gate-in');
  const doorOut = store.sim.gpio('door-out');
  await until(() => store.kinds('store.mode').at(-1)?.data.mode === 'open', 5000, 'the store open');
  t.equal(gateIn.level('unlock'), 0, 'the entry gate locked before the alarm');
  t.equal(doorOut.level('unlock'), 0, 'the exit door locked before the alarm');
  // The swing gate's fire input is the panel's normally closed loop: an open loop (1) is the alarm.
  gateIn.drive('fireAlarm', 1);
  await until(() => gateIn.level('unlock') === 1, 2000, 'the entry gate released');
  await until(() => doorOut.level('unlock') === 1, 2000, 'the exit door released too');
  await until(() => store.kinds('emergency').length === 1, 5000, 'emergency upstream');
  t.same(store.kinds('emergency')[0]?.data, { state: 'active', source: 'fire alarm input at gate-in' });
  const early = await store.upstream.sendCommand(hubId, 'emergency.reset');
  t.equal(early.ok, false, 'no reset while the alarm is on');
  gateIn.drive('fireAlarm', 0);
  await new Promise((r) => setTimeout(r, 200));
  t.equal(gateIn.level('unlock'), 1, 'latched open after the alarm clears');
  t.equal(doorOut.level('unlock'), 1, 'the exit door too');
  const reset = await store.upstream.sendCommand(hubId, 'emergency.reset');
  t.equal(reset.ok, true);
  await until(() => gateIn.level('unlock') === 0, 2000, 'the entry gate locked again');
  await until(() => doorOut.level('unlock') === 0, 2000, 'the exit door locked again');
  await until(() => store.kinds('emergency').length === 2, 5000, 'emergency cleared upstream');
  await until(() => store.kinds('store.mode').at(-1)?.data.mode === 'open', 5000, 'the store open again');
  t.ok(
    store.kinds('store.mode').some((e) => e.data.mode === 'emergency'),
    'the emergency was announced as the store mode too',
  );
  t.same(
    store.kinds('audit.command').map((e) => [e.data.name, e.data.ok]),
    [
      ['emergency.reset', false],
      ['emergency.reset', true],
    ],
  );
});

t.test(
  'a closed store refuses entry, lets people out, and the cloud can open a gate for a trip',
  async (t) => {
    const store = await storeUnderTest(t);
    const closed = await store.upstream.sendCommand(hubId, 'store.mode', { mode: 'closed' });
    t.equal(closed.ok, true);
    store.scan(await store.mint(Date.now()));
    await until(() => store.kinds('entry.denied').length === 1, 5000, 'entry refused');
    t.equal(store.kinds('entry.denied')[0]?.data.reason, 'store_closed');
    await walk(store.sim.gpio('gate-out'), 'out');
    await until(() => store.kinds('shopper.exited').length === 1, 5000, 'the exit still free');
    await store.upstream.sendCommand(hubId, 'store.mode', { mode: 'open' });
    const unlocked = await store.upstream.sendCommand(hubId, 'gate.unlock', { gateId: 'gate-in', party: 2 });
    t.equal(unlocked.ok, true);
    const tripId = (unlocked as { result?: { tripId?: string } }).result?.tripId;
    await until(() => store.kinds('trip.started').length === 1, 5000, 'the commanded trip');
    t.match(store.kinds('trip.started')[0]?.data, { tripId, credentialKind: 'command', partySize: 2 });
    const status = await store.upstream.sendCommand(hubId, 'hub.status');
    t.match((status as { result?: unknown }).result, {
      store: { mode: 'open', emergency: 'normal' },
      gates: [
        { gateId: 'gate-in', state: 'open.waiting' },
        { gateId: 'gate-out', state: 'free' },
      ],
    });
  },
);

t.test(
  'a scanner under test keeps its codes from the gate and says so; after the test a scan opens it',
  async (t) => {
    const store = await storeUnderTest(t);
    const gateIn = store.sim.gpio('gate-in');
    const started = await store.app.commands.handle(
      'technician',
      'scanner.test',
      { scannerId: 'qr-in' },
      'anna',
    );
    t.ok(started.ok, 'test mode on');
    const underTest = () =>
      store.kinds('device.status').filter((e) => e.data.deviceId === 'qr-in' && e.data.status === 'degraded');
    await until(() => underTest().length === 1, 5000, 'the scanner degraded upstream');
    t.match(underTest()[0]?.data.reason, /^under test until .*: its gate ignores it$/);
    await until(() => store.kinds('store.mode').at(-1)?.data.mode === 'degraded', 5000, 'the store told');

    const seen: string[] = [];
    const stop = store.app.devices.scans.listen((scan) => seen.push(scan.code ?? ''));
    t.teardown(stop);
    const token = await store.mint(Date.now(), { jti: 'under-test-1' });
    store.scan(token);
    await until(() => seen.length === 1, 5000, 'the scan seen by the page');
    t.match(seen[0], /\.\(signature hidden\)$/, 'the page gets the token without its signature');
    t.equal(gateIn.level('unlock'), 0, 'the gate stays shut');
    t.same(store.kinds('trip.started'), [], 'no trip');
    t.same(store.kinds('entry.denied'), [], 'and no refusal: nobody tried to come in');

    await store.app.commands.handle('technician', 'scanner.test', { scannerId: 'qr-in', minutes: 0 }, 'anna');
    await until(
      () =>
        store.kinds('device.status').at(-1)?.data.deviceId === 'qr-in' &&
        store.kinds('device.status').at(-1)?.data.status === 'online',
      5000,
      'the scanner online again',
    );
    store.scan(token);
    await until(
      () => gateIn.level('unlock') === 1,
      5000,
      'the same token, unspent by the test, opens the gate',
    );
    t.equal(store.kinds('trip.started').length, 1);
  },
);

t.test('the QR scanner, a critical device, unplugged closes the store; plugged back, it opens', async (t) => {
  const store = await storeUnderTest(t);
  await until(() => store.kinds('store.mode').at(-1)?.data.mode === 'open', 5000, 'the store open');
  await store.pty.stop();
  await until(() => store.kinds('store.mode').at(-1)?.data.mode === 'closed', 10_000, 'the store closed');
  t.match(store.kinds('store.mode').at(-1)?.data.reasons, [/^critical device qr-in offline: /]);
  store.sim.scanner('palm-in').present('palm-handle-77');
  await until(() => store.kinds('entry.denied').length === 1, 5000, 'the palm refused');
  t.same(store.kinds('entry.denied')[0]?.data, {
    gateId: 'gate-in',
    credentialKind: 'palm',
    reason: 'store_closed',
  });
  t.notMatch(JSON.stringify(store.events()), /palm-handle-77/);
  await store.pty.restart();
  await until(() => store.kinds('store.mode').at(-1)?.data.mode === 'open', 20_000, 'the store open again');
});

t.test(
  'the cloud rotates its QR key: after a reload the new key opens the gate; a device change waits for a restart',
  async (t) => {
    const store = await storeUnderTest(t);
    const gateIn = store.sim.gpio('gate-in');
    const next = await tokenMint('cloud-next');
    store.scan(await next.mint(Date.now(), { jti: 'rotated-1' }));
    await until(() => store.kinds('entry.denied').length === 1, 5000, 'the denial upstream');
    t.match(
      store.kinds('entry.denied')[0]?.data,
      { reason: 'unknown_key' },
      'a key the hub does not have yet',
    );

    const file = store.configFile;
    const text = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      text.replace(
        /keys: \[\{ kid: (\S+), x: (\S+) \}\]/,
        `keys: [{ kid: $1, x: $2 }, { kid: cloud-next, x: ${next.x} }]`,
      ),
    );
    const plan = store.app.reload(loadConfig(file, {}));
    t.same(plan, { apply: ['credentials'], refuse: [] }, 'the credentials apply at once');
    store.scan(await next.mint(Date.now(), { jti: 'rotated-2' }));
    await until(() => gateIn.level('unlock') === 1, 5000, 'the entry gate opening for the new key');
    t.equal(store.kinds('entry.denied').length, 1, 'no second denial');

    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('gateShoppersEverySeconds: 0', 'gateShoppersEverySeconds: 9'),
    );
    t.same(
      store.app.reload(loadConfig(file, {})),
      { apply: [], refuse: ['sim'] },
      'a change the daemon cannot make live is refused, named',
    );
  },
);

t.test(
  'Prometheus metrics: entry decisions timed by outcome, events by kind, every device by status',
  async (t) => {
    const store = await storeUnderTest(t);
    const gateIn = store.sim.gpio('gate-in');
    const forged = await (await tokenMint()).mint(Date.now(), { jti: 'metrics-forged' });
    store.scan(forged);
    await until(() => store.kinds('entry.denied').length === 1, 5000, 'the denial');
    const token = await store.mint(Date.now(), { jti: 'metrics-1' });
    store.scan(token);
    await until(() => gateIn.level('unlock') === 1, 5000, 'the entry gate opening');
    const url = `http://${store.app.diagnostics.address}/metrics`;
    const response = await fetch(url);
    t.equal(response.status, 200);
    t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    t.match(text, /^store_gateway_entry_decision_seconds_count\{gate="gate-in",outcome="allow"\} 1$/m);
    t.match(
      text,
      /^store_gateway_entry_decision_seconds_count\{gate="gate-in",outcome="bad_signature"\} 1$/m,
    );
    t.match(text, /^store_gateway_events_emitted_total\{kind="trip.started"\} 1$/m);
    t.match(text, /^store_gateway_device_status\{device="qr-in",kind="scanner",status="online"\} 1$/m);
    t.match(text, /^store_gateway_device_status\{device="qr-in",kind="scanner",status="offline"\} 0$/m);
    t.match(text, /^store_gateway_uplink_state\{state="streaming"\} 1$/m);
    t.match(text, /^store_gateway_store_mode\{mode="open"\} 1$/m);
    t.match(text, /^store_gateway_outbox_depth \d+$/m);
    t.match(text, /^store_gateway_gate_passages\{gate="gate-in",count="granted"\} 1$/m);
    t.notMatch(text, token.split('.')[2] as string, 'no token in the metrics');
    t.notMatch(text, /e2e-token/, 'nor the upstream token');

    t.equal((await fetch(url, { method: 'POST' })).status, 405, 'metrics are read, never written');
    const other = await fetch(`http://${store.app.diagnostics.address}/admin`);
    t.equal(other.status, 404);
    t.match(await other.text(), /not found: \/admin/);
  },
);
