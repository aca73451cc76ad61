// What a reloaded configuration may change live, section by section.
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { planReload } from '../../src/config/reload.js';
import { Secret } from '../../src/system/secret.js';

const simulated = join(import.meta.dirname, '..', '..', 'configs', 'simulated-store.yaml');
const running = () => loadConfig(simulated, { STORE_GATEWAY_UPSTREAM_TOKEN: 'token-a' });

t.test('the same file again changes nothing', async (t) => {
  t.same(planReload(running(), running()), { apply: [], refuse: [] });
});

t.test('credentials and store rules apply; anything else is refused by name', async (t) => {
  const before = running();
  const qr = before.credentials.qr;
  t.ok(qr, 'the simulated store has QR keys');
  const after = {
    ...before,
    credentials: { ...before.credentials, cloudTimeoutMs: 900 },
    store: { ...before.store, criticalDevices: [] },
    log: { level: 'debug' as const },
    devices: { ...before.devices, cameras: [] },
  };
  t.same(planReload(before, after), { apply: ['credentials', 'store'], refuse: ['devices', 'log'] });
});

t.test('a new upstream token is a change, though a Secret prints the same', async (t) => {
  const before = running();
  const after = { ...before, upstream: { ...before.upstream, token: new Secret('token-b') } };
  t.same(planReload(before, after), { apply: [], refuse: ['upstream'] });
});

t.test('turning QR entry on or off needs a restart', async (t) => {
  const before = running();
  const after = { ...before, credentials: { cloudTimeoutMs: before.credentials.cloudTimeoutMs } };
  t.same(planReload(before, after), { apply: [], refuse: ['credentials.qr (turned on or off)'] });
});

t.test('a changed board or gate model read from devices/ is seen too', async (t) => {
  const before = running();
  const gateProfiles = new Map(before.gateProfiles);
  const [id, profile] = [...gateProfiles][0] ?? [];
  t.ok(id && profile);
  if (id && profile) gateProfiles.set(id, { ...profile, model: `${profile.model} rev 2` });
  t.same(planReload(before, { ...before, gateProfiles }), { apply: [], refuse: ['gateProfiles'] });
});
