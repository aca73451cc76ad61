// End to end for a palm scanner behind its vendor bridge: the daemon's composition (App) spawns the
// simulated vendor bridge as a real child process on a real unix socket; a palm read there becomes
// an entry.authorize to the reference upstream, a trip with a salted reference, and an open gate.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { App } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { until } from '../helpers/daemon.js';
import { startE2eUpstream } from '../helpers/e2e-upstream.js';
import { captureLog } from '../helpers/log-capture.js';

const hubId = 'hub-palm-e2e';
const simBridge = join(import.meta.dirname, '..', '..', 'src', 'sim', 'palm-bridge.ts');

t.test(
  'a palm read by the vendor bridge opens the gate for a trip the cloud allowed; the handle stays out of events',
  async (t) => {
    const dir = t.testdir();
    const upstream = await startE2eUpstream(t, dir);
    const command = [process.execPath, ...process.execArgv, simBridge, '--every', '1500', '--seed', '4'];
    writeFileSync(
      join(dir, 'store.yaml'),
      `hub: { id: ${hubId}, storeId: store-e2e }
dataDir: d
upstream: { url: ${upstream.url}, tokenFile: token, reconnectMinMs: 50, reconnectMaxMs: 400 }
log: { level: warn }
devices:
  gates: [{ id: gate-in, role: entry, driver: sim, profile: gate-swing }]
  scanners: [{ id: palm-in, kind: palm, gateId: gate-in, driver: bridge, command: ${JSON.stringify(command)} }]
sim: { faultEverySeconds: 0, shoppersEverySeconds: 0, gateShoppersEverySeconds: 0 }
`,
    );
    const capture = captureLog();
    const app = new App({
      config: loadConfig(join(dir, 'store.yaml'), {}),
      log: capture.log,
      version: 'e2e',
    });
    const sim = app.devices.sim as NonNullable<typeof app.devices.sim>;
    await app.start();
    t.teardown(() => app.stop('test over'));
    const kinds = (kind: string) => upstream.events(hubId, 0, 10_000).filter((e) => e.kind === kind);
    await until(() => kinds('trip.started').length > 0, 20_000, 'a palm trip upstream');
    t.match(kinds('trip.started')[0]?.data, {
      gateId: 'gate-in',
      credentialKind: 'palm',
      partySize: 1,
      credentialRef: /^palm:[A-Za-z0-9_-]{22}$/,
    });
    t.equal(sim.gpio('gate-in').level('unlock'), 1, 'the gate opened');
    t.ok(
      kinds('device.status').some((e) => e.data.deviceId === 'palm-in' && e.data.status === 'online'),
      'the bridge came online',
    );
    t.notMatch(JSON.stringify(upstream.events(hubId, 0, 10_000)), /sim-palm-/, 'no handle in any event');
    t.notMatch(capture.text(), /sim-palm-/, 'nor in the log');
  },
);
