// The daemon killed mid-trip (SIGKILL: no stop, no flush) and started again on the same data
// directory: the trip is not started twice, the token that opened the gate stays used, the store
// forgets the opening nobody came through, and the gate comes back locked rather than open for a
// party nobody saw.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startDaemon, until } from '../helpers/daemon.js';
import { startE2eUpstream } from '../helpers/e2e-upstream.js';
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
