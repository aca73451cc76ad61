/// <reference lib="dom" />
// The diagnostics page in a real browser (Debian's Chromium through playwright-core) against the
// daemon's own composition on the simulated store, with the reference upstream as the cloud: what a
// technician does at 7 a.m. (sign in, watch a shelf, tare it, open a gate, reset an emergency) and
// what must be refused (a wrong password, an ended session, an action without its CSRF token, a
// viewer acting). Screenshots are kept in artifacts/browser/.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { App } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { SimGpioChip } from '../../src/drivers/gpio/sim.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { hashPassword } from '../../src/system/passwords.js';
import { openPage, signIn, startBrowser } from '../helpers/browser.js';
import { until } from '../helpers/daemon.js';
import { startDiagnostics } from '../helpers/diagnostics.js';
import { startE2eUpstream } from '../helpers/e2e-upstream.js';
import type { TestContext } from '../helpers/tap-types.js';

const hubId = 'hub-browser';
const passwords = { tech: 'seven in the morning', watcher: 'only looking here' };
const accounts = [
  { name: 'tech', role: 'technician' as const, passwordHash: await hashPassword(passwords.tech) },
  { name: 'watcher', role: 'viewer' as const, passwordHash: await hashPassword(passwords.watcher) },
];

async function storeUnderTest(t: TestContext) {
  const dir = t.testdir();
  const upstream = await startE2eUpstream(t, dir);
  const file = join(dir, 'store.yaml');
  writeFileSync(
    file,
    `hub: { id: ${hubId}, storeId: store-browser }
dataDir: hub-data
upstream: { url: ${upstream.url}, tokenFile: token, reconnectMinMs: 50, reconnectMaxMs: 400 }
log: { level: warn }
devices:
  gates:
    - { id: gate-in, role: entry, driver: sim, profile: gate-swing }
    - { id: gate-out, role: exit, driver: sim, profile: gate-swing }
  scanners:
    - { id: qr-in, kind: qr, gateId: gate-in, driver: sim }
  shelves:
    - { id: shelf-1, driver: sim, plates: 2, sampleRateHz: 40, planogram: [{ sku: cola, plates: [0] }] }
  cameras: [{ id: cam-1, driver: sim }]
catalogue:
  products: [{ sku: cola, name: Cola 330 ml can, grams: 355, spreadGrams: 3 }]
store: { warmUpSeconds: 0 }
diagnostics: { listen: "127.0.0.1:0", accounts: ${JSON.stringify(accounts)} }
sim: { seed: 9, faultEverySeconds: 0, shoppersEverySeconds: 0, gateShoppersEverySeconds: 0 }
`,
  );
  const app = new App({ config: loadConfig(file, {}), log: silentLogger(), version: 'browser' });
  const sim = app.devices.sim as NonNullable<typeof app.devices.sim>;
  sim.shelf('shelf-1').stockItem([0], 355 * 4);
  await app.start();
  t.teardown(() => app.stop('test over'));
  await until(() => app.uplink.state === 'streaming', 10_000, 'uplink streaming');
  const kinds = (kind: string) => upstream.events(hubId).filter((e) => e.kind === kind);
  const audits = (name: string) => kinds('audit.command').filter((e) => e.data.name === name);
  return { app, sim, upstream, kinds, audits, base: `http://${app.diagnostics.address}` };
}

const browser = await startBrowser(t);

t.test(
  'a technician signs in, watches a shelf, tares it, opens a gate and resets an emergency',
  async (t) => {
    const store = await storeUnderTest(t);
    const { page, problems, shot } = await openPage(browser);

    await signIn(page, store.base, 'tech', passwords.tech);
    await page.waitForSelector('#overview .card');
    t.match(await page.textContent('#overview'), /open/, 'the overview shows the store open');
    t.match(await page.textContent('#overview'), /streaming/, 'and the cloud connected');
    await shot('overview');

    // The shelf's plot grows as the simulated boards send; its readings show the four cans on plate 0.
    await page.click('nav a[data-tab="shelves"]');
    await page.waitForSelector('#plot canvas', { timeout: 10_000 });
    const points = async () => Number(await page.getAttribute('#plot', 'data-points'));
    const first = await points();
    await page.waitForFunction(
      (before) => Number(document.getElementById('plot')?.dataset.points) > before + 20,
      first,
      { timeout: 10_000 },
    );
    t.ok((await points()) > first + 20, 'the plot took new points');
    // A can more on plate 0: its reading on the page goes up by the can's weight.
    const plate0 = async () =>
      Number(/plate 0: (-?\d+) g/.exec((await page.textContent('.readings')) ?? '')?.[1] ?? Number.NaN);
    await page.waitForFunction(() =>
      /plate 0: -?\d+ g/.test(document.querySelector('.readings')?.textContent ?? ''),
    );
    const before = await plate0();
    store.sim.shelf('shelf-1').stockItem([0], 355);
    await page.waitForFunction(
      (b) => {
        const grams = Number(
          /plate 0: (-?\d+) g/.exec(document.querySelector('.readings')?.textContent ?? '')?.[1],
        );
        return grams > b + 300;
      },
      before,
      { timeout: 10_000 },
    );
    const added = (await plate0()) - before;
    t.ok(added > 330 && added < 380, `the page shows the can added (${added} g)`);
    await shot('shelves');

    // Tare: the plate reads zero with the cans still on it, and the cloud has the technician's audit.
    await page.click('button[data-command="shelf.tare"]');
    await page.waitForSelector('#notice.good:has-text("zeroed")', { timeout: 15_000 });
    await page.waitForFunction(() =>
      /plate 0: -?\d g/.test(document.querySelector('.readings')?.textContent ?? ''),
    );
    t.ok(Math.abs(await plate0()) < 10, 'after the tare the plate reads about 0 g, the cans still on it');
    await until(() => store.audits('shelf.tare').length === 1, 5000, 'tare audited upstream');
    t.match(store.audits('shelf.tare')[0]?.data, {
      source: 'technician',
      by: 'tech',
      ok: true,
      args: { shelfId: 'shelf-1' },
    });

    // The calibration wizard: plate 1 empty and still, then a 500 g weight placed when the page asks.
    await page.selectOption('select[name="plate"]', '1');
    await page.fill('input[name="grams"]', '500');
    await page.click('form.wizard button[type="submit"]');
    // The page asks for the weight once the hub has seen the plate empty and still.
    await page.waitForSelector('.step[data-step="place"]', { timeout: 30_000 });
    t.match(
      await page.textContent('.step'),
      /Place the 500 g weight on plate 1 now/,
      'the wizard says when to place the weight',
    );
    store.sim.shelf('shelf-1').stockItem([1], 500);
    await page.waitForSelector('.step[data-step="done"]', { timeout: 30_000 });
    t.match(await page.textContent('.step'), /plate 1 of shelf-1 calibrated: 500 g now reads 500 g/);
    await shot('calibrated');
    await until(() => store.audits('shelf.calibrate').length === 1, 5000, 'calibration audited upstream');
    t.match(store.audits('shelf.calibrate')[0]?.data, {
      by: 'tech',
      ok: true,
      args: { plate: 1, grams: 500 },
    });

    // Unlock the entry gate: the page shows it open, the cloud gets the audit and a new trip.
    await page.click('nav a[data-tab="gates"]');
    await page.click('button[data-command="gate.unlock"][data-args*="gate-in"]');
    await page.waitForSelector('#notice.good:has-text("gate.unlock")');
    await page.waitForSelector('#gates td:has-text("open")', { timeout: 5000 });
    await shot('gate-unlocked');
    await until(() => store.audits('gate.unlock').length === 1, 5000, 'unlock audited upstream');
    t.match(store.audits('gate.unlock')[0]?.data, { by: 'tech', ok: true, args: { gateId: 'gate-in' } });
    t.equal(store.kinds('trip.started').length, 1, 'the unlock started a trip');

    // A fire alarm comes and goes: the page offers the reset, which the technician confirms.
    const chip = store.sim.gpio('gate-in') as SimGpioChip;
    chip.drive('fireAlarm', 1);
    await page.waitForSelector('#gates .badge.active', { timeout: 5000 });
    chip.drive('fireAlarm', 0);
    await page.waitForSelector('#gates .badge.latched', { timeout: 5000 });
    await shot('emergency-latched');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('button[data-command="emergency.reset"]');
    await page.waitForSelector('#gates .badge.normal', { timeout: 5000 });
    await until(() => store.kinds('emergency').length === 2, 5000, 'emergency cleared upstream');
    t.match(store.kinds('emergency')[1]?.data, { state: 'cleared' });
    t.match(store.audits('emergency.reset')[0]?.data, { by: 'tech', ok: true });

    // The live feed lists what happened, and filters by kind.
    await page.click('nav a[data-tab="events"]');
    await page.selectOption('select[name="kind"]', 'audit.command');
    const listed = await page.locator('[data-feed="events"] li').allTextContents();
    t.ok(listed.length >= 3, 'the technician’s commands are in the feed');
    t.ok(
      listed.every((line) => line.includes('audit.command')),
      'and only they, once filtered',
    );
    await shot('events');
    t.same(problems, [], 'no console error, failed request or script error on the page');
  },
);

t.test('refused: a wrong password, an action without its CSRF token, a viewer acting', async (t) => {
  const store = await storeUnderTest(t);
  const { page, problems } = await openPage(browser);
  await page.goto(`${store.base}/login`);
  await page.fill('input[name="name"]', 'tech');
  await page.fill('input[name="password"]', 'eight in the evening');
  await page.click('button[type="submit"]');
  t.match(await page.textContent('[role="alert"]'), /Wrong name or password/);
  t.match(page.url(), /\/login$/, 'still on the login page');

  await signIn(page, store.base, 'tech', passwords.tech);
  const noToken = await page.evaluate(async () => {
    const r = await fetch('/api/commands', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'store.mode', args: { mode: 'closed' } }),
    });
    return { status: r.status, text: await r.text() };
  });
  t.equal(noToken.status, 403, 'no CSRF token: refused');
  t.match(noToken.text, /CSRF/);

  const viewer = await openPage(browser, true);
  await signIn(viewer.page, store.base, 'watcher', passwords.watcher);
  await viewer.page.click('nav a[data-tab="gates"]');
  await viewer.page.waitForSelector('#gates table');
  t.equal(await viewer.page.locator('button[data-command]').count(), 0, 'a viewer is shown no action');
  const acting = await viewer.page.evaluate(async () => {
    const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
    const r = await fetch('/api/commands', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ name: 'gate.unlock', args: { gateId: 'gate-in' } }),
    });
    return { status: r.status, text: await r.text() };
  });
  t.equal(acting.status, 403, 'a viewer with a good token still may not act');
  t.match(acting.text, /may look, not act/);
  await viewer.shot('viewer-phone-gates');
  // Readable on a phone: nothing wider than the screen.
  for (const tab of ['overview', 'gates', 'shelves', 'events']) {
    await viewer.page.click(`nav a[data-tab="${tab}"]`);
    await viewer.page.waitForFunction((id) => document.getElementById(id)?.hidden === false, tab);
    const overflow = await viewer.page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    t.ok(overflow <= 0, `${tab} fits a 390 px phone (overflow ${overflow} px)`);
  }
  await viewer.shot('viewer-phone-events');

  // Everything the hub emitted so far has reached the cloud.
  await until(() => store.app.uplink.ackedSeq === store.app.outbox.lastSeq, 5000, 'the cloud caught up');
  t.equal(store.kinds('audit.command').length, 0, 'nothing refused was carried out or audited');
  t.equal(store.app.status().store.mode, 'open', 'the store is still open');
  // The refusals above show in the console as failed loads (401, 403); the scripts themselves must not fail.
  t.same(
    [...problems, ...viewer.problems].filter((p) => !p.includes('Failed to load resource')),
    [],
    'the pages ran clean',
  );
});

t.test('a session that ends signs the page out, and its next action is refused', async (t) => {
  const commands: string[] = [];
  const { base, clock } = await startDiagnostics(t, {
    clock: new FakeClock(Date.now()),
    accounts,
    sessionMinutes: 30,
    command: async (name) => {
      commands.push(name);
      return { ok: true };
    },
  });
  const { page, shot } = await openPage(browser);
  await signIn(page, base, 'tech', passwords.tech);
  clock.advance(31 * 60_000);
  await page.waitForSelector('#connection.bad:has-text("session has ended")', { timeout: 5000 });
  await shot('session-ended');
  const after = await page.evaluate(async () => {
    const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
    const r = await fetch('/api/commands', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ name: 'gate.unlock', args: { gateId: 'gate-in' } }),
    });
    return r.status;
  });
  t.equal(after, 401, 'the ended session cannot act');
  await page.reload();
  t.match(page.url(), /\/login$/, 'reloading lands on the login page');
  t.same(commands, [], 'nothing ran');
});
