// Signing in to the hub's diagnostics server over real HTTP: the login, its cookie, the roles, CSRF,
// the wait after failed logins, sessions that end, and bodies that are refused unread.
import t from 'tap';
import type { DiagnosticsOptions } from '../../src/diagnostics/server.js';
import { FakeClock } from '../../src/system/clock.js';
import { startDiagnostics } from '../helpers/diagnostics.js';
import { testLive } from '../helpers/live-sources.js';
import { captureLog } from '../helpers/log-capture.js';
import type { TestContext } from '../helpers/tap-types.js';

async function hub(t: TestContext, overrides: Partial<DiagnosticsOptions> = {}) {
  const clock = new FakeClock();
  const commands: { name: string; args: unknown; by: string }[] = [];
  const { base } = await startDiagnostics(t, {
    live: testLive(() => ({ store: { mode: 'open' } })),
    command: async (name, args, by) => {
      commands.push({ name, args, by });
      return name === 'gate.unlock'
        ? { ok: true, result: { tripId: 't-1' } }
        : { ok: false, error: { code: 'unknown_command', message: `no command "${name}"` } };
    },
    clock,
    ...overrides,
  });
  const login = (name: string, password: string) =>
    fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name, password }),
    });
  /** Signs in and returns the cookie and the CSRF token the page carries. */
  const signIn = async (name: string, password: string) => {
    const response = await login(name, password);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const html = await (await fetch(`${base}/`, { headers: { cookie } })).text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] as string;
    return { response, cookie, csrf, html };
  };
  const command = (cookie: string, csrf: string | undefined, body: unknown) =>
    fetch(`${base}/api/commands`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': csrf } : {}) },
      body: JSON.stringify(body),
    });
  return { base, clock, commands, login, signIn, command };
}

t.test(
  'a technician signs in and gets a cookie scripts cannot read and other sites cannot send',
  async (t) => {
    const h = await hub(t);
    const form = await fetch(`${h.base}/login`);
    t.equal(form.status, 200);
    t.match(await form.text(), /<form method="post" action="\/login">/);
    t.match(form.headers.get('content-security-policy'), /default-src 'self'/);
    const { response, cookie, html } = await h.signIn('anna', 'correct horse battery');
    t.equal(response.status, 303);
    t.equal(response.headers.get('location'), '/');
    t.match(
      response.headers.get('set-cookie'),
      /^sg_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=3600$/,
    );
    t.match(html, /<p class="who">anna <span class="role">technician<\/span><\/p>/);
    t.match(
      html,
      /<meta name="role" content="technician">/,
      "the page knows the role, to show a technician's buttons",
    );
    const status = await fetch(`${h.base}/api/status`, { headers: { cookie } });
    t.same(await status.json(), { store: { mode: 'open' } });
  },
);

t.test('a wrong password, an unknown name and no session are all refused', async (t) => {
  const h = await hub(t);
  const wrong = await h.login('anna', 'Correct horse battery');
  t.equal(wrong.status, 401);
  t.match(await wrong.text(), /Wrong name or password/);
  t.notOk(wrong.headers.get('set-cookie'), 'no cookie');
  t.equal((await h.login('mallory', 'anything')).status, 401, 'an unknown name reads the same');
  t.equal((await fetch(`${h.base}/api/status`)).status, 401, 'no status without signing in');
  const home = await fetch(`${h.base}/`, { redirect: 'manual' });
  t.equal(home.status, 303);
  t.equal(home.headers.get('location'), '/login');
  t.equal((await fetch(`${h.base}/api/status`, { headers: { cookie: 'sg_session=made-up' } })).status, 401);
});

t.test(
  'five failed logins from one address make it wait fifteen minutes, even with the right password',
  async (t) => {
    const h = await hub(t);
    for (let i = 0; i < 5; i++) t.equal((await h.login('anna', `guess ${i}`)).status, 401);
    const blocked = await h.login('anna', 'correct horse battery');
    t.equal(blocked.status, 429);
    t.equal(blocked.headers.get('retry-after'), '900');
    t.match(await blocked.text(), /Too many failed logins: try again in 15 min/);
    h.clock.advance(15 * 60_000 + 1);
    t.equal((await h.login('anna', 'correct horse battery')).status, 303, 'after the wait, in');
  },
);

t.test(
  'a viewer reads but may not act; a technician acts only with the CSRF token, and is named',
  async (t) => {
    const h = await hub(t);
    const viewer = await h.signIn('viktor', 'looking only');
    const refused = await h.command(viewer.cookie, viewer.csrf, {
      name: 'gate.unlock',
      args: { gateId: 'gate-in' },
    });
    t.equal(refused.status, 403);
    t.match(await refused.text(), /viktor may look, not act/);

    const tech = await h.signIn('anna', 'correct horse battery');
    const noToken = await h.command(tech.cookie, undefined, {
      name: 'gate.unlock',
      args: { gateId: 'gate-in' },
    });
    t.equal(noToken.status, 403, 'without the token, as a form on another site would send it');
    t.match(await noToken.text(), /CSRF/);
    t.equal(
      (await h.command(tech.cookie, viewer.csrf, { name: 'gate.unlock', args: {} })).status,
      403,
      "another session's token",
    );
    t.same(h.commands, [], 'nothing ran');

    const done = await h.command(tech.cookie, tech.csrf, {
      name: 'gate.unlock',
      args: { gateId: 'gate-in' },
    });
    t.equal(done.status, 200);
    t.same(await done.json(), { ok: true, result: { tripId: 't-1' } });
    t.same(h.commands, [{ name: 'gate.unlock', args: { gateId: 'gate-in' }, by: 'anna' }], 'run for anna');
    const unknown = await h.command(tech.cookie, tech.csrf, { name: 'hub.reboot' });
    t.equal(unknown.status, 422, 'a refused command is an answer, not an error');
  },
);

t.test('bad requests are refused unread and change nothing', async (t) => {
  const h = await hub(t);
  const tech = await h.signIn('anna', 'correct horse battery');
  const post = (body: string, type = 'application/json') =>
    fetch(`${h.base}/api/commands`, {
      method: 'POST',
      headers: { cookie: tech.cookie, 'x-csrf-token': tech.csrf, 'content-type': type },
      body,
    });
  t.equal((await post('{"name": ')).status, 400, 'not JSON');
  t.equal((await post('[1, 2]')).status, 400, 'not a command');
  t.equal((await post('{"name": "gate.unlock", "args": "x"}')).status, 400, 'args not an object');
  t.equal((await post('name=gate.unlock', 'text/plain')).status, 415, 'not JSON by its type');
  t.equal(
    (await post(JSON.stringify({ name: 'x', args: { pad: 'x'.repeat(20_000) } }))).status,
    413,
    'too big',
  );
  const bigLogin = await fetch(`${h.base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `name=anna&password=${'x'.repeat(5000)}`,
  });
  t.equal(bigLogin.status, 413);
  t.same(h.commands, []);
  t.equal((await fetch(`${h.base}/nothing-here`)).status, 404);
});

t.test('a session ends after its time unused, and at sign-out', async (t) => {
  const h = await hub(t);
  const a = await h.signIn('anna', 'correct horse battery');
  h.clock.advance(59 * 60_000);
  t.equal(
    (await fetch(`${h.base}/api/status`, { headers: { cookie: a.cookie } })).status,
    200,
    'used within the hour',
  );
  h.clock.advance(59 * 60_000);
  t.equal(
    (await fetch(`${h.base}/api/status`, { headers: { cookie: a.cookie } })).status,
    200,
    'each use renews it',
  );
  h.clock.advance(61 * 60_000);
  t.equal(
    (await fetch(`${h.base}/api/status`, { headers: { cookie: a.cookie } })).status,
    401,
    'an hour unused: over',
  );

  const b = await h.signIn('anna', 'correct horse battery');
  const forged = await fetch(`${h.base}/logout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: b.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'csrf=guess',
  });
  t.equal(forged.status, 403, 'a sign-out needs the token too');
  const out = await fetch(`${h.base}/logout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: b.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: b.csrf }),
  });
  t.equal(out.status, 303);
  t.match(out.headers.get('set-cookie'), /Max-Age=0/);
  t.equal((await fetch(`${h.base}/api/status`, { headers: { cookie: b.cookie } })).status, 401);
});

t.test('logins sent all at once cannot get past the limit: at most five are checked', async (t) => {
  const h = await hub(t);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => h.login('anna', `guess ${i}`)));
  const statuses = answers.map((a) => a.status);
  t.ok(statuses.filter((s) => s === 401).length <= 5, `checked: ${statuses.filter((s) => s === 401).length}`);
  t.ok(
    statuses.every((s) => [401, 429, 503].includes(s)),
    `answered ${[...new Set(statuses)].join(', ')}`,
  );
  for (let i = statuses.filter((s) => s === 401).length; i < 5; i++) await h.login('anna', `more ${i}`);
  t.equal((await h.login('anna', 'correct horse battery')).status, 429, 'five checked in all, then the wait');
});

t.test('a password typed into the name field is not logged', async (t) => {
  const logged = captureLog();
  const h = await hub(t, { log: logged.log });
  await h.login('correct horse battery', 'anna');
  t.match(logged.text(), /diagnostics login refused/);
  t.match(logged.text(), /"account":"\(unknown\)"/);
  t.notMatch(logged.text(), /correct horse/);
});

t.test("a login posted from another site's page is refused before any password is checked", async (t) => {
  const h = await hub(t);
  const post = (headers: Record<string, string>) =>
    fetch(`${h.base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ name: 'anna', password: 'correct horse battery' }),
    });
  t.equal((await post({ 'sec-fetch-site': 'cross-site' })).status, 403);
  t.equal((await post({ origin: 'http://evil.example' })).status, 403);
  t.equal((await post({ 'sec-fetch-site': 'same-origin' })).status, 303, 'the page itself may');
});

t.test('one account cannot crowd out the others, and no session lives past twelve hours', async (t) => {
  const h = await hub(t);
  const anna = await h.signIn('anna', 'correct horse battery');
  for (let i = 0; i < 70; i++) await h.login('viktor', 'looking only');
  t.equal(
    (await fetch(`${h.base}/api/status`, { headers: { cookie: anna.cookie } })).status,
    200,
    "anna's session stays",
  );
  for (let hour = 0; hour < 12; hour++) {
    h.clock.advance(59 * 60_000);
    await fetch(`${h.base}/api/status`, { headers: { cookie: anna.cookie } });
  }
  h.clock.advance(60 * 60_000);
  t.equal(
    (await fetch(`${h.base}/api/status`, { headers: { cookie: anna.cookie } })).status,
    401,
    'twelve hours at most',
  );
});

t.test('with no accounts configured nobody signs in, and no password is hashed for it', async (t) => {
  const h = await hub(t, { accounts: [] });
  const started = performance.now();
  t.equal((await h.login('anna', 'correct horse battery')).status, 401);
  t.comment(`answered in ${Math.round(performance.now() - started)} ms`);
});
