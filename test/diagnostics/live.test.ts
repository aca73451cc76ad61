// The diagnostics page's live feed over a real WebSocket, and the page and files it is served with:
// who may open the feed, what it carries and in what order, the plotted weights, what a page may send,
// a session that ends under an open feed, and the server stopping.
import { readFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { WebSocket } from 'ws';
import { type FeedEvent, MAX_FEEDS_PER_SESSION, MAX_POINTS_HZ } from '../../src/diagnostics/live.js';
import type { DiagnosticsOptions } from '../../src/diagnostics/server.js';
import type { ShelfSamples } from '../../src/sensing/types.js';
import { FakeClock } from '../../src/system/clock.js';
import { passwords, startDiagnostics } from '../helpers/diagnostics.js';
import { testLive } from '../helpers/live-sources.js';
import { captureLog } from '../helpers/log-capture.js';
import type { TestContext } from '../helpers/tap-types.js';

/** Long enough for a 1 s status tick on a busy CI machine; a wait, never an assertion on speed. */
const DEADLINE_MS = 10_000;

type Message = { type: string } & Record<string, unknown>;

/** One open feed as the page sees it: every message in order, and the close. */
class Feed {
  readonly messages: Message[] = [];
  readonly #closed: Promise<{ code: number; reason: string }>;
  #cursor = 0;
  #isClosed = false;
  readonly #wake = new Set<() => void>();

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as Message);
      for (const wake of this.#wake) wake();
    });
    ws.on('error', () => {});
    this.#closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.#isClosed = true;
        for (const wake of this.#wake) wake();
        resolve({ code, reason: reason.toString() });
      }),
    );
  }

  /** The next message of `type` (or matching) after the last one taken; the ones between are passed over. */
  async next(type: string, matches: (m: Message) => boolean = () => true): Promise<Message> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const at = this.messages.findIndex((m, i) => i >= this.#cursor && m.type === type && matches(m));
      if (at >= 0) {
        this.#cursor = at + 1;
        return this.messages[at] as Message;
      }
      if (this.#isClosed) throw new Error(`the feed closed without a "${type}" message`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${type}" message within ${DEADLINE_MS} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#wake.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#wake.add(wake);
      });
    }
  }

  /** How the feed closed, once it has. */
  closed(): Promise<{ code: number; reason: string }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the feed did not close within ${DEADLINE_MS} ms`)),
        DEADLINE_MS,
      );
    });
    return Promise.race([this.#closed, late]).finally(() => clearTimeout(timer));
  }

  send(text: string): void {
    this.ws.send(text);
  }
}

/** Waits until `condition` holds, polling; fails the wait past the deadline. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${DEADLINE_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One plain HTTP GET, its body as bytes as they came over the wire (fetch would decompress). */
/** The status for `path` sent exactly as given. */
function rawPath(base: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    get({ hostname, port, path }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });
}

function raw(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    }).on('error', reject);
  });
}

async function hub(t: TestContext, overrides: Partial<DiagnosticsOptions> = {}) {
  const clock = new FakeClock();
  const live = testLive(() => ({ store: { mode: 'open' }, now: clock.now() }), {
    sh1: [
      { slope: 0.5, offset: 100 },
      { slope: 2, offset: 0 },
    ],
  });
  const { server, base } = await startDiagnostics(t, { live, clock, ...overrides });
  const signIn = async (name: string) => {
    const response = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name, password: passwords[name] as string }),
    });
    if (response.status !== 303) throw new Error(`${name} could not sign in: ${response.status}`);
    return (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
  };
  const connect = (headers: Record<string, string>, path = '/api/live') => {
    const ws = new WebSocket(`ws://${server.address}${path}`, { headers, handshakeTimeout: DEADLINE_MS });
    t.teardown(() => ws.terminate());
    return ws;
  };
  /** A feed opened as the page opens it: with the cookie, from the server's own origin. */
  const open = async (cookie: string) => {
    const ws = connect({ cookie, origin: base });
    const feed = new Feed(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_request, response) =>
        reject(new Error(`the feed was refused: ${response.statusCode}`)),
      );
    });
    return feed;
  };
  /** The status an upgrade is refused with. */
  const refusal = (headers: Record<string, string>, path?: string) =>
    new Promise<number>((resolve, reject) => {
      const ws = connect(headers, path);
      ws.on('error', reject);
      ws.on('open', () => reject(new Error('the feed opened')));
      ws.on('unexpected-response', (request, response) => {
        resolve(response.statusCode ?? 0);
        request.destroy();
      });
    });
  return { server, base, clock, live, signIn, open, refusal };
}

const event = (n: number): FeedEvent => ({
  seq: n,
  id: `event-${n}`,
  kind: 'gate.passage',
  time: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
  data: { n },
});
const logLine = (level: string, msg: string, fields: Record<string, unknown> = {}) =>
  `${JSON.stringify({ level, time: '2025-01-01T00:00:00.000Z', msg, ...fields })}\n`;

t.test('the feed is refused to anyone not signed in, to other sites, and on other paths', async (t) => {
  const h = await hub(t);
  const cookie = await h.signIn('anna');
  t.equal(await h.refusal({ origin: h.base }), 401, 'no cookie');
  t.equal(await h.refusal({ origin: h.base, cookie: 'sg_session=made-up' }), 401, 'a made-up session');
  t.equal(
    await h.refusal({ cookie, origin: 'http://evil.example' }),
    403,
    "another site's page, with the cookie the browser adds",
  );
  t.equal(await h.refusal({ cookie }), 403, 'no origin at all');
  t.equal(await h.refusal({ cookie, origin: 'null' }), 403, 'a sandboxed page');
  t.equal(await h.refusal({ cookie, origin: h.base }, '/api/elsewhere'), 404, 'another path');
  t.equal(h.live.watching('sh1'), 0);
  const feed = await h.open(cookie);
  t.equal((await feed.next('hello')).account, 'anna', 'the page itself opens it');
});

t.test(
  'a page gets who it is, recent events, the log and the status, then each event and log line as it comes',
  async (t) => {
    const h = await hub(t);
    for (let n = 0; n < 205; n++) h.live.emit(event(n));
    h.live.logs.write(logLine('info', 'uplink connected', { part: 'uplink' }));
    h.live.logs.write(logLine('debug', 'too quiet for the page'));
    const cookie = await h.signIn('anna');
    const statusAtOpen = { store: { mode: 'open' }, now: h.clock.now() };
    const feed = await h.open(cookie);
    await until(() => feed.messages.length >= 4, 'the first four messages');
    const [hello, events, logs, status] = feed.messages;
    t.same(hello, { type: 'hello', account: 'anna', role: 'technician' });
    t.equal(events?.type, 'events');
    const recent = events?.events as FeedEvent[];
    t.equal(recent.length, 200, 'at most the last 200');
    t.same(recent[0], event(5), 'the oldest ones dropped');
    t.same(recent.at(-1), event(204), 'up to the newest');
    t.same(logs, {
      type: 'logs',
      lines: [{ time: '2025-01-01T00:00:00.000Z', level: 'info', msg: 'uplink connected', part: 'uplink' }],
    });
    t.match(status, { type: 'status', status: statusAtOpen, now: Number }, "with the hub's clock");

    h.live.emit(event(300));
    h.live.logs.write(logLine('debug', 'sample batch read'));
    h.live.logs.write(logLine('warn', 'board slow', { boardId: 'mod-1' }));
    h.live.emit(event(301));
    await feed.next('event', (m) => (m.event as FeedEvent).seq === 301);
    t.same(
      feed.messages.slice(4).filter((m) => m.type !== 'status'),
      [
        { type: 'event', event: event(300) },
        {
          type: 'log',
          line: { time: '2025-01-01T00:00:00.000Z', level: 'warn', msg: 'board slow', deviceId: 'mod-1' },
        },
        { type: 'event', event: event(301) },
      ],
      'in order, and no debug line',
    );
  },
);

t.test('a technician sees what a scanner under test read; a viewer only that it read', async (t) => {
  const h = await hub(t);
  const tech = await h.open(await h.signIn('anna'));
  const viewer = await h.open(await h.signIn('viktor'));
  t.same(await viewer.next('hello'), { type: 'hello', account: 'viktor', role: 'viewer' });
  h.live.scan({ scannerId: 'scan-in', at: 1000, length: 8, code: 'TEST-123' });
  h.live.scan({ scannerId: 'scan-in', at: 2000, length: 40, problem: 'too_long' });
  t.same(await tech.next('scan'), {
    type: 'scan',
    scan: { scannerId: 'scan-in', at: 1000, length: 8, code: 'TEST-123' },
  });
  t.same(await tech.next('scan'), {
    type: 'scan',
    scan: { scannerId: 'scan-in', at: 2000, length: 40, problem: 'too_long' },
  });
  t.same(await viewer.next('scan'), { type: 'scan', scan: { scannerId: 'scan-in', at: 1000, length: 8 } });
  t.same(await viewer.next('scan'), {
    type: 'scan',
    scan: { scannerId: 'scan-in', at: 2000, length: 40, problem: 'too_long' },
  });
  t.notOk(
    viewer.messages.some((m) => JSON.stringify(m).includes('TEST-123')),
    'the code never reaches a viewer',
  );
});

/** `seconds` of a shelf's samples at `rateHz`, in batches of `per`, each value from its sample index. */
function samples(
  t0: number,
  rateHz: number,
  seconds: number,
  per: number,
  value: (i: number, plate: number) => number,
): ShelfSamples[] {
  const batches: ShelfSamples[] = [];
  const total = rateHz * seconds;
  for (let first = 0; first < total; first += per) {
    const count = Math.min(per, total - first);
    const values = new Float32Array(count * 2);
    for (let i = 0; i < count; i++) {
      values[i * 2] = value(first + i, 0);
      values[i * 2 + 1] = value(first + i, 1);
    }
    batches.push({ t0: t0 + (first * 1000) / rateHz, rateHz, channels: 2, values });
  }
  return batches;
}

t.test('a plotted shelf sends its weights in grams, a missing reading as null', async (t) => {
  const h = await hub(t);
  const feed = await h.open(await h.signIn('viktor'));
  feed.send(JSON.stringify({ type: 'plot', shelfId: 'sh1' }));
  await until(() => h.live.watching('sh1') === 1, 'the page watches sh1');
  const t0 = h.clock.now();
  h.live.samples('sh1', {
    t0,
    rateHz: 10,
    channels: 2,
    values: new Float32Array([300, Number.NaN, 500, 10]),
  });
  t.same(await feed.next('weights'), {
    type: 'weights',
    shelfId: 'sh1',
    t: [t0, t0 + 100],
    grams: [
      [100, 200],
      [null, 20],
    ],
  });
  h.live.samples('sh1', { t0: t0 + 200, rateHz: 10, channels: 2, values: new Float32Array([100, 0]) });
  t.same(
    await feed.next('weights'),
    { type: 'weights', shelfId: 'sh1', t: [t0 + 200], grams: [[0], [0]] },
    'the next batch alone: nothing sent twice',
  );
});

for (const rateHz of [200, 80])
  t.test(
    `a shelf read at ${rateHz} Hz is plotted with ${MAX_POINTS_HZ} points a second per plate, without holes`,
    async (t) => {
      const h = await hub(t);
      const feed = await h.open(await h.signIn('anna'));
      feed.send(JSON.stringify({ type: 'plot', shelfId: 'sh1' }));
      await until(() => h.live.watching('sh1') === 1, 'the page watches sh1');
      const t0 = h.clock.now();
      // Plate 0 reads i grams at sample i (slope 0.5, offset 100), plate 1 2i grams (slope 2); the
      // batches of 25 do not divide the thinning, so what is kept must carry over from one to the next.
      for (const batch of samples(t0, rateHz, 2, 25, (i, plate) => (plate === 0 ? 100 + 2 * i : i)))
        h.live.samples('sh1', batch);
      const weights = await feed.next('weights');
      const times = weights.t as number[];
      const grams = weights.grams as number[][];
      t.same(
        grams.map((plate) => plate.length),
        [times.length, times.length],
        'a value of each plate at each time',
      );
      for (const second of [0, 1]) {
        const count = times.filter(
          (time) => time >= t0 + second * 1000 && time < t0 + (second + 1) * 1000,
        ).length;
        t.ok(count <= MAX_POINTS_HZ && count >= MAX_POINTS_HZ - 1, `second ${second + 1}: ${count} points`);
      }
      const period = 1000 / rateHz;
      const widest = Math.max(
        (times[0] as number) - t0,
        ...times.slice(1).map((time, k) => time - (times[k] as number)),
      );
      t.ok(
        widest <= 1000 / MAX_POINTS_HZ + period,
        `no hole in the line: at most ${widest} ms between points`,
      );
      t.ok(
        times.every((time, k) => k === 0 || time > (times[k - 1] as number)),
        'in order, none twice',
      );
      const index = (time: number) => Math.round(((time - t0) * rateHz) / 1000);
      t.same(grams[0], times.map(index), "plate 0's grams are those of the samples kept");
      t.same(
        grams[1],
        times.map((time) => 2 * index(time)),
        "and plate 1's of the same samples",
      );
    },
  );

t.test('a page stops a plot by asking for none, or by closing', async (t) => {
  const h = await hub(t);
  const feed = await h.open(await h.signIn('anna'));
  feed.send(JSON.stringify({ type: 'plot', shelfId: 'sh1' }));
  await until(() => h.live.watching('sh1') === 1, 'the page watches sh1');
  feed.send(JSON.stringify({ type: 'plot', shelfId: null }));
  await until(() => h.live.watching('sh1') === 0, 'the plot stops');
  t.pass('no plot after {"shelfId": null}');
  feed.send(JSON.stringify({ type: 'plot', shelfId: 'sh1' }));
  feed.send(JSON.stringify({ type: 'plot', shelfId: 'sh1' }));
  await until(() => h.live.watching('sh1') >= 1, 'the page watches sh1 again');
  t.equal(h.live.watching('sh1'), 1, 'asking twice watches once');
  feed.ws.close();
  await feed.closed();
  await until(() => h.live.watching('sh1') === 0, 'the plot stops with the page');
  t.pass('no plot after the page closed');
});

t.test('a message the feed does not understand is answered, and the feed goes on', async (t) => {
  const h = await hub(t);
  const feed = await h.open(await h.signIn('anna'));
  feed.send('plot sh1 please');
  t.match(await feed.next('error'), { message: /expected \{"type": "plot"/ }, 'not JSON');
  feed.send(JSON.stringify({ type: 'unlock', gateId: 'gate-in' }));
  t.match(await feed.next('error'), { message: /expected \{"type": "plot"/ }, 'not a plot request');
  feed.send(JSON.stringify({ type: 'plot', shelfId: 7 }));
  t.match(await feed.next('error'), { message: /expected/ }, 'a shelf id that is not a string');
  feed.ws.send(Buffer.from('{"type":"plot","shelfId":"sh1"}'), { binary: true });
  t.match(await feed.next('error'), { message: /expected/ }, 'a binary frame');
  feed.send(JSON.stringify({ type: 'plot', shelfId: 'sh9' }));
  t.same(await feed.next('error'), { type: 'error', message: 'no shelf "sh9" on this hub' });
  t.equal(h.live.watching('sh1'), 0, 'nothing plotted');

  feed.send(JSON.stringify({ type: 'plot', shelfId: 'sh1' }));
  await until(() => h.live.watching('sh1') === 1, 'the page watches sh1');
  h.live.samples('sh1', { t0: 0, rateHz: 10, channels: 2, values: new Float32Array([100, 5]) });
  t.same((await feed.next('weights')).grams, [[0], [10]], 'a later plot request still works');
});

t.test('a message over 1 KiB closes the feed', async (t) => {
  const h = await hub(t);
  const feed = await h.open(await h.signIn('anna'));
  feed.send(JSON.stringify({ type: 'plot', shelfId: 'sh1' }));
  await until(() => h.live.watching('sh1') === 1, 'the page watches sh1');
  feed.send(JSON.stringify({ type: 'plot', shelfId: 'x'.repeat(1100) }));
  t.equal((await feed.closed()).code, 1009, 'message too big');
  await until(() => h.live.watching('sh1') === 0, 'its plot stops');
  t.pass('and its plot with it');
});

t.test('a session that ends under an open feed signs the page out', async (t) => {
  const h = await hub(t);
  const feed = await h.open(await h.signIn('anna'));
  const opened = h.clock.now();
  h.clock.advance(59 * 60_000);
  t.same(
    (await feed.next('status', (m) => (m.status as { now: number }).now >= opened + 59 * 60_000)).status,
    { store: { mode: 'open' }, now: opened + 59 * 60_000 },
    'within the hour the status still comes',
  );
  h.clock.advance(2 * 60_000);
  t.same(await feed.next('signedOut'), {
    type: 'signedOut',
    reason: 'your session has ended: sign in again',
  });
  t.same(
    await feed.closed(),
    { code: 4001, reason: 'session ended' },
    'an hour after sign-in: watching the feed did not keep the session',
  );
});

t.test('using the page over HTTP keeps the session, and the feed with it', async (t) => {
  const h = await hub(t);
  const cookie = await h.signIn('anna');
  const feed = await h.open(cookie);
  const opened = h.clock.now();
  h.clock.advance(59 * 60_000);
  t.equal((await fetch(`${h.base}/api/status`, { headers: { cookie } })).status, 200, 'a request renews it');
  h.clock.advance(59 * 60_000);
  const later = opened + 118 * 60_000;
  t.same(
    (await feed.next('status', (m) => (m.status as { now: number }).now >= later)).status,
    { store: { mode: 'open' }, now: later },
    'still open 118 minutes after sign-in',
  );
  h.clock.advance(2 * 60_000);
  await feed.next('signedOut');
  t.equal((await feed.closed()).code, 4001, 'an hour after the last request');
  t.equal((await fetch(`${h.base}/api/status`, { headers: { cookie } })).status, 401);
});

t.test("signing out closes the page's feed at its next status", async (t) => {
  const h = await hub(t);
  const cookie = await h.signIn('anna');
  const feed = await h.open(cookie);
  const html = await (await fetch(`${h.base}/`, { headers: { cookie } })).text();
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] as string;
  const out = await fetch(`${h.base}/logout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf }),
  });
  t.equal(out.status, 303);
  await feed.next('signedOut');
  t.equal((await feed.closed()).code, 4001);
});

t.test('the page is served with its token and its own script and style', async (t) => {
  const h = await hub(t);
  const cookie = await h.signIn('viktor');
  const page = await fetch(`${h.base}/`, { headers: { cookie } });
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /^text\/html/);
  const html = await page.text();
  t.match(html, /<meta name="csrf-token" content="[A-Za-z0-9_-]{43}">/);
  t.match(html, /<script src="\/static\/uplot\.js"[^>]*><\/script>/);
  t.match(html, /<script src="\/static\/app\.js"[^>]*><\/script>/);
  t.match(html, /<link rel="stylesheet" href="\/static\/app\.css">/);
  t.notMatch(html, /<script>|<style>/, 'nothing inline: the policy forbids it');
});

t.test(
  'the static files come with their type and an ETag, a 304 when unchanged, gzip when asked',
  async (t) => {
    const h = await hub(t);
    const types: Record<string, RegExp> = {
      '/static/app.js': /^text\/javascript/,
      '/static/app.css': /^text\/css/,
      '/static/uplot.js': /^text\/javascript/,
      '/static/uplot.css': /^text\/css/,
    };
    for (const [path, type] of Object.entries(types)) {
      const plain = await raw(`${h.base}${path}`);
      t.equal(plain.status, 200, path);
      t.match(plain.headers['content-type'], type, `${path} type`);
      t.equal(plain.headers['content-encoding'], undefined, `${path} not compressed unasked`);
      t.ok(plain.body.length > 0, `${path} has a body`);
      const etag = plain.headers.etag as string;
      t.match(etag, /^"[A-Za-z0-9_-]+"$/, `${path} etag`);

      const again = await raw(`${h.base}${path}`, { 'if-none-match': etag });
      t.equal(again.status, 304, `${path} unchanged`);
      t.equal(again.body.length, 0, `${path}: no body with the 304`);
      t.equal(again.headers.etag, etag);

      const zipped = await raw(`${h.base}${path}`, { 'accept-encoding': 'gzip, deflate' });
      t.equal(zipped.status, 200);
      t.equal(zipped.headers['content-encoding'], 'gzip', `${path} gzipped`);
      t.equal(Number(zipped.headers['content-length']), zipped.body.length);
      t.ok(gunzipSync(zipped.body).equals(plain.body), `${path} unzips to the same bytes`);
    }
    const built = readFileSync(join(import.meta.dirname, '../../dist/web/app.js'));
    t.ok((await raw(`${h.base}/static/app.js`)).body.equals(built), 'app.js is the built script');

    const stale = await raw(`${h.base}/static/app.js`, { 'if-none-match': '"something-older"' });
    t.equal(stale.status, 200, 'another ETag gets the file');
    t.equal((await raw(`${h.base}/static/x`)).status, 404);
    // Sent as typed: a URL parser would resolve the dots before the hub saw them.
    for (const path of [
      '/static/../package.json',
      '/static/%2e%2e/package.json',
      '/static/..%2fpackage.json',
    ])
      t.equal(await rawPath(h.base, path), 404, `${path} is not served`);
    const post = await fetch(`${h.base}/static/app.js`, { method: 'POST', body: 'x' });
    t.equal(post.status, 405);
    t.equal(post.headers.get('allow'), 'GET, HEAD');
  },
);

t.test('stopping the server closes every open feed as going away', async (t) => {
  const h = await hub(t);
  const one = await h.open(await h.signIn('anna'));
  const two = await h.open(await h.signIn('viktor'));
  two.send(JSON.stringify({ type: 'plot', shelfId: 'sh1' }));
  await until(() => h.live.watching('sh1') === 1, 'the page watches sh1');
  await h.server.stop();
  t.equal((await one.closed()).code, 1001);
  t.equal((await two.closed()).code, 1001);
  await until(() => h.live.watching('sh1') === 0, 'the plot stops with the server');
  t.pass('and its plot with it');
});

t.test('one sign-in keeps at most three live pages; the fourth is refused until one closes', async (t) => {
  const h = await hub(t);
  const cookie = await h.signIn('anna');
  const pages = await Promise.all([h.open(cookie), h.open(cookie), h.open(cookie)]);
  t.equal(h.server.liveFeeds, MAX_FEEDS_PER_SESSION);
  t.equal(await h.refusal({ cookie, origin: h.base }), 503, 'a fourth page waits');
  t.ok((await h.open(await h.signIn('viktor'))) instanceof Feed, 'another sign-in still gets its page');
  pages[0]?.ws.close();
  await until(() => h.server.liveFeeds === MAX_FEEDS_PER_SESSION, 'a page closed');
  t.ok((await h.open(cookie)) instanceof Feed, 'then the sign-in may open one again');
});

t.test('a status that fails is logged, and the pages wait for the next one', async (t) => {
  const captured = captureLog();
  let fail = false;
  const h = await hub(t, {
    log: captured.log,
    live: testLive(() => {
      if (fail) throw new Error('status broke');
      return { fine: true };
    }),
  });
  const feed = await h.open(await h.signIn('anna'));
  await feed.next('status');
  fail = true;
  await until(
    () => captured.lines.some((l) => l.msg === 'the hub status for the live pages failed'),
    'the failure logged',
  );
  fail = false;
  const after = await feed.next('status', (m) => (m.status as { fine?: boolean }).fine === true);
  t.ok(after, 'the page gets the next status');
  t.equal(feed.ws.readyState, WebSocket.OPEN, 'and stayed open all along');
});
