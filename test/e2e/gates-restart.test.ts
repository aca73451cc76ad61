// The daemon killed mid-trip (SIGKILL: no stop, no flush) and started again on the same data
// directory: the trip is not started twice, the token that opened the gate stays used, the store
// forgets the opening nobody came through, and the gate comes back locked rather than open for a
// party nobody saw. Then the same with a shopper already inside, on (fake) sysfs GPIO so the test can
// read the wires while the hub is down: `safe-gates` brings them to their safe levels, and the restarted
// hub still knows whose trip is inside.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Level } from '../../src/drivers/gpio/port.js';
import { startDaemon, until } from '../helpers/daemon.js';
import { startE2eUpstream } from '../helpers/e2e-upstream.js';
import { fakeSysfsGpio } from '../helpers/fake-sysfs-gpio.js';
import { startPtyPair } from '../helpers/pty.js';
import { AUDIENCE, KID, tokenMint } from '../helpers/qr-tokens.js';

const hubId = 'hub-restart-e2e';

t.test(
  'killed mid-trip and restarted: no duplicate trip, the replay cache intact, the gate locked',
  async (t) => {
    const dir = t.testdir();
    const upstream = await startE2eUpstream(t, dir);
    const pty = await startPtyPair(t);
    const { x, mint } = await tokenMint();
    const file = join(dir, 'store.yaml');
    writeFileSync(
      file,
      `hub: { id: ${hubId}, storeId: ${AUDIENCE} }
dataDir: hub-data
upstream: { url: ${upstream.url}, tokenFile: token, reconnectMinMs: 50, reconnectMaxMs: 400 }
log: { level: warn }
devices:
  gates: [{ id: gate-in, role: entry, driver: sim, profile: gate-door }]
  scanners: [{ id: qr-in, kind: qr, gateId: gate-in, driver: serial, path: ${pty.hubPath} }]
credentials:
  qr: { keys: [{ kid: ${KID}, x: ${x} }] }
sim: { faultEverySeconds: 0, shoppersEverySeconds: 0, gateShoppersEverySeconds: 0 }
`,
    );
    const events = () => upstream.events(hubId, 0, 100_000);
    const kinds = (kind: string) => events().filter((e) => e.kind === kind);
    const scanReady = async (n: number) => {
      await until(
        () =>
          kinds('device.status').filter((e) => e.data.deviceId === 'qr-in' && e.data.status === 'online')
            .length >= n,
        20_000,
        'the scanner online',
      );
    };

    const first = startDaemon(['run', '--config', file]);
    t.teardown(() => first.child.kill('SIGKILL'));
    await scanReady(1);
    const token = await mint(Date.now(), { jti: 'ticket-crash', party: 2 });
    writeFileSync(pty.devicePath, `${token}\r`);
    await until(() => kinds('trip.started').length === 1, 10_000, 'the trip upstream');
    const tripId = kinds('trip.started')[0]?.data.tripId;

    // The hub dies while the party is still at the open gate.
    first.child.kill('SIGKILL');
    t.equal((await first.exited).signal, 'SIGKILL');

    const second = startDaemon(['run', '--config', file]);
    t.teardown(() => second.child.kill('SIGKILL'));
    await until(() => kinds('hub.started').length === 2, 20_000, 'the second start upstream');
    t.equal(kinds('hub.started')[1]?.data.previousStop, 'crash');
    await scanReady(2);
    const status = await upstream.sendCommand(hubId, 'hub.status');
    t.match((status as { result?: unknown }).result, {
      store: { mode: 'open', emergency: 'normal', tripsWaiting: 0, occupancy: 0 },
      gates: [{ gateId: 'gate-in', state: 'locked' }],
    });

    writeFileSync(pty.devicePath, `${token}\r`);
    await until(() => kinds('entry.denied').length === 1, 10_000, 'the second scan answered');
    t.same(kinds('entry.denied')[0]?.data, { gateId: 'gate-in', credentialKind: 'qr', reason: 'replayed' });
    t.same(
      kinds('trip.started').map((e) => e.data.tripId),
      [tripId],
      'one trip, however often the outbox sent it',
    );

    second.child.kill('SIGTERM');
    t.equal((await second.exited).code, 0);
  },
);

// The entry is a maglock door and the exit a swing gate, both on (fake) sysfs GPIO, lines numbered as
// on a Raspberry Pi's header. The door's relay is energised on a high wire and holds the door shut.
const DOOR = { unlock: 17, green: 27, red: 22, buzzer: 18, beamOuter: 5, beamInner: 6 };
const SWING = { unlock: 23, green: 24, red: 25, buzzer: 8, beamOuter: 12, beamInner: 16 };
const lineMap = (lines: Record<string, number>) =>
  `{ ${Object.entries(lines)
    .map(([name, n]) => `${name}: ${n}`)
    .join(', ')} }`;

t.test(
  'killed with a shopper inside: safe-gates releases the door while the hub is down; restarted, the trip is still theirs',
  async (t) => {
    const dir = t.testdir();
    const upstream = await startE2eUpstream(t, dir);
    const pty = await startPtyPair(t);
    const gpio = fakeSysfsGpio(dir);
    const { x, mint } = await tokenMint();
    const file = join(dir, 'store.yaml');
    writeFileSync(
      file,
      `hub: { id: ${hubId}, storeId: ${AUDIENCE} }
dataDir: hub-data
upstream: { url: ${upstream.url}, tokenFile: token, reconnectMinMs: 50, reconnectMaxMs: 400 }
log: { level: warn }
devices:
  gates:
    - { id: gate-in, role: entry, driver: onoff, profile: gate-door, lines: ${lineMap(DOOR)} }
    - { id: gate-out, role: exit, driver: onoff, profile: gate-swing, lines: ${lineMap(SWING)} }
  scanners: [{ id: qr-in, kind: qr, gateId: gate-in, driver: serial, path: ${pty.hubPath} }]
credentials:
  qr: { keys: [{ kid: ${KID}, x: ${x} }] }
diagnostics: { listen: "127.0.0.1:0" }
sim: { faultEverySeconds: 0, shoppersEverySeconds: 0, gateShoppersEverySeconds: 0 }
`,
    );
    const events = () => upstream.events(hubId, 0, 100_000);
    const kinds = (kind: string) => events().filter((e) => e.kind === kind);
    const online = (deviceId: string) =>
      kinds('device.status').filter((e) => e.data.deviceId === deviceId && e.data.status === 'online').length;
    const ready = async (n: number) => {
      for (const deviceId of ['qr-in', 'gate-in', 'gate-out'])
        await until(() => online(deviceId) >= n, 20_000, `${deviceId} online`);
    };
    const doorHeld = () => gpio.wire(DOOR.unlock) === 1;
    /** One person through a lane, near beam first, a stride every 60 ms (longer than the beams' debounce). */
    const walk = async (lane: typeof DOOR, direction: 'in' | 'out') => {
      const [near, far] =
        direction === 'in' ? [lane.beamOuter, lane.beamInner] : [lane.beamInner, lane.beamOuter];
      for (const [line, wire] of [
        [near, 1],
        [far, 1],
        [near, 0],
        [far, 0],
      ] as const) {
        gpio.drive(line, wire as Level);
        await new Promise((r) => setTimeout(r, 60));
      }
    };

    const first = startDaemon(['run', '--config', file], gpio.env);
    t.teardown(() => first.child.kill('SIGKILL'));
    await ready(1);
    t.ok(doorHeld(), 'the door held shut at rest');
    const token = await mint(Date.now(), { jti: 'ticket-inside' });
    writeFileSync(pty.devicePath, `${token}\r`);
    await until(() => !doorHeld(), 10_000, 'the door released for the shopper');
    await walk(DOOR, 'in');
    await until(() => kinds('shopper.entered').length === 1, 10_000, 'shopper.entered upstream');
    const tripId = kinds('trip.started')[0]?.data.tripId as string;
    t.same(kinds('shopper.entered')[0]?.data, { tripId, gateId: 'gate-in' });
    await until(doorHeld, 10_000, 'the door held shut again behind the shopper');

    // The hub dies while the shopper is inside, shopping. The kernel keeps driving what it last wrote.
    first.child.kill('SIGKILL');
    t.equal((await first.exited).signal, 'SIGKILL');
    t.ok(doorHeld(), 'a killed hub leaves the maglock energised: the shopper is locked in');

    // What systemd runs after the daemon stopped for any reason (ExecStopPost).
    const safe = startDaemon(['safe-gates', '--config', file], gpio.env);
    t.equal((await safe.exited).code, 0, 'safe-gates says every gate is safe');
    t.match(safe.output(), /gate-in: safe \(safe\): unlock=1 green=0 red=0 buzzer=0/);
    t.match(safe.output(), /gate-out: safe \(safe\): unlock=1 green=0 red=0 buzzer=0/);
    t.equal(gpio.wire(DOOR.unlock), 0, 'the door released: its relay at rest drops the maglock');
    t.same(
      [gpio.wire(DOOR.green), gpio.wire(DOOR.red), gpio.wire(DOOR.buzzer)],
      [0, 0, 0],
      "the door's lights and buzzer off",
    );
    t.equal(gpio.wire(SWING.unlock), 0, "the swing gate's active-low open input held: its wings free");
    t.same(
      [gpio.wire(SWING.green), gpio.wire(SWING.red), gpio.wire(SWING.buzzer)],
      [1, 1, 1],
      "the swing gate's active-low lights and buzzer off",
    );
    t.ok(gpio.exported(DOOR.unlock), 'the lines left exported, so the kernel keeps driving them');

    const second = startDaemon(['run', '--config', file], gpio.env);
    t.teardown(() => second.child.kill('SIGKILL'));
    await until(() => kinds('hub.started').length === 2, 20_000, 'the second start upstream');
    t.equal(kinds('hub.started')[1]?.data.previousStop, 'crash');
    await ready(2);
    await until(doorHeld, 10_000, 'the door held shut once the hub is back');
    const status = await upstream.sendCommand(hubId, 'hub.status');
    t.match((status as { result?: unknown }).result, {
      store: { mode: 'open', emergency: 'normal', occupancy: 1, tripsInside: 1, tripsWaiting: 0 },
      gates: [
        { gateId: 'gate-in', state: 'locked' },
        { gateId: 'gate-out', state: 'free' },
      ],
    });

    writeFileSync(pty.devicePath, `${token}\r`);
    await until(() => kinds('entry.denied').length === 1, 10_000, 'the second scan answered');
    t.same(kinds('entry.denied')[0]?.data, { gateId: 'gate-in', credentialKind: 'qr', reason: 'replayed' });
    t.ok(doorHeld(), 'the door stays shut for the replayed token');
    t.same(
      kinds('trip.started').map((e) => e.data.tripId),
      [tripId],
      'one trip.started, however often the outbox sent it',
    );

    await walk(SWING, 'out');
    await until(() => kinds('shopper.exited').length === 1, 10_000, 'shopper.exited upstream');
    t.same(
      kinds('shopper.exited')[0]?.data,
      { gateId: 'gate-out', tripId },
      'the exit is the trip of the only shopper inside',
    );

    second.child.kill('SIGTERM');
    t.equal((await second.exited).code, 0);
    t.equal(gpio.wire(DOOR.unlock), 0, 'stopped, the hub leaves the door released');
  },
);
