// A palm scanner behind its vendor's bridge, over a real unix socket to a real child process: the
// simulated bridge (src/sim/palm-bridge.ts, under the same TypeScript loader as the tests) when it
// behaves, a tiny inline script that writes exactly the given bytes when it does not. The hub's time
// is fake; the only real waits are for the child's I/O, polled with a deadline.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { PalmBridge, type PalmBridgeOptions } from '../../src/drivers/scanner/palm-bridge.js';
import { parseBridgeLine } from '../../src/drivers/scanner/palm-bridge-messages.js';
import type { Scan } from '../../src/drivers/scanner/port.js';
import { FakeClock } from '../../src/system/clock.js';
import { Secret } from '../../src/system/secret.js';
import { captureLog } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/pty.js';
import type { TestContext } from '../helpers/tap-types.js';

const simBridge = join(import.meta.dirname, '..', '..', 'src', 'sim', 'palm-bridge.ts');
const sim = (...args: string[]): [string, ...string[]] => [
  process.execPath,
  ...process.execArgv,
  simBridge,
  ...args,
];

// Writes PALM_LINES (a JSON array of strings, each written as latin1 bytes) once connected, then
// stays. PALM_HANGUP: close the socket afterwards but keep running. PALM_STUBBORN: ignore SIGTERM.
// PALM_RESET: read nothing, and drop the connection on SIGUSR2. Node reads ahead even when paused, so
// the handle itself stops reading: what the hub sends stays in the kernel, and closing with data
// unread makes the kernel reset the hub's end (ECONNRESET) rather than end it.
const SCRIPT = `
const s = require('net').createConnection(process.env.STORE_GATEWAY_PALM_SOCKET);
s.on('connect', () => {
  for (const line of JSON.parse(process.env.PALM_LINES)) s.write(Buffer.from(line, 'latin1'));
  if (process.env.PALM_HANGUP) s.end();
  if (process.env.PALM_RESET) setImmediate(() => { s.pause(); s._handle.readStop(); });
});
process.on('SIGUSR2', () => s.destroy());
s.on('error', () => {});
process.on('SIGTERM', () => { if (!process.env.PALM_STUBBORN) process.exit(0); });
setInterval(() => {}, 1 << 30);
`;
const script = (): [string, ...string[]] => [process.execPath, '-e', SCRIPT];

// The handles the logs must never show.
const HANDLE = 'vendor-opaque-palm-handle-7f3a9c';
const HELLO = `${JSON.stringify({ type: 'hello', protocol: 1, vendor: 'Acme Vein', model: 'PV-200', bridgeVersion: '2.1.0' })}\n`;
const READY = '{"type":"status","state":"ready"}\n';
const scanLine = (handle: string, at?: number) => `${JSON.stringify({ type: 'scan', handle, at })}\n`;

/** Environment for the child: the test's own, so the TypeScript loader and coverage follow it. */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return { ...env, ...extra };
}

interface Rig {
  bridge: PalmBridge;
  clock: FakeClock;
  scans: Scan[];
  lost: string[];
  socketPath: string;
  dir: string;
  logged: ReturnType<typeof captureLog>;
}

async function rig(t: TestContext, options: Partial<PalmBridgeOptions> = {}): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'palm-bridge-'));
  const socketPath = join(dir, 'run', 'palm-entry-1.sock');
  const clock = new FakeClock();
  const logged = captureLog();
  const bridge = new PalmBridge({
    id: 'palm-entry-1',
    command: sim(),
    socketPath,
    clock,
    env: childEnv(),
    log: logged.log,
    ...options,
  });
  const scans: Scan[] = [];
  const lost: string[] = [];
  bridge.onData((scan) => scans.push(scan));
  bridge.onLost((reason) => lost.push(reason));
  t.teardown(async () => {
    await bridge.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { bridge, clock, scans, lost, socketPath, dir, logged };
}

/** A rig whose bridge is the inline script writing `lines`. */
function scripted(t: TestContext, lines: string[], extra: Record<string, string> = {}, options = {}) {
  return rig(t, {
    command: script(),
    env: childEnv({ PALM_LINES: JSON.stringify(lines), ...extra }),
    ...options,
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('a palm read at the scanner arrives as a scan whose handle is a secret', async (t) => {
  const { bridge, clock, scans, lost, socketPath, logged } = await rig(t);
  await bridge.open();
  t.equal(statSync(socketPath).mode & 0o777, 0o600, 'the socket is the service user’s alone');
  t.same(bridge.stats.bridge, { vendor: 'store-gateway', model: 'sim-palm', bridgeVersion: '1' });
  t.equal(bridge.stats.state, 'ready');
  await bridge.open(); // already open: nothing new starts
  t.equal(bridge.stats.starts, 1);

  const pid = bridge.pid as number;
  process.kill(pid, 'SIGUSR2');
  await waitFor(() => scans.length === 1, 'a scan');
  const scan = scans[0] as Scan;
  t.ok(scan.credential instanceof Secret);
  t.match(scan.credential.reveal(), /^sim-palm-\d{4}$/);
  t.equal(scan.at, clock.now(), 'a bridge clock far from the hub’s is not believed: stamped on arrival');
  t.equal(scan.problem, undefined);

  // The hub pings a ready bridge now and then; it answers.
  clock.advance(10_000);
  await waitFor(() => bridge.stats.pongs === 1, 'a pong');
  clock.advance(10_000);
  await waitFor(() => bridge.stats.pongs === 2, 'a second pong');
  t.equal(bridge.stats.pings, 2);

  await bridge.close();
  t.notOk(alive(pid), 'no bridge process is left');
  t.notOk(existsSync(socketPath), 'no socket file is left');
  t.equal(bridge.pid, undefined);
  t.same(lost, [], 'closing is not a loss');
  t.notOk(logged.text().includes(scan.credential.reveal()), 'the handle is never logged');
  t.match(logged.lines, [{ msg: 'palm bridge connected', scanner: 'palm-entry-1' }]);
  await bridge.close(); // twice is fine
});

t.test(
  'a bridge that crashes is lost with its exit status, and opening again starts a new one',
  async (t) => {
    const { bridge, scans, lost } = await rig(t, { command: sim('--crash-after', '1', '--seed', '9') });
    await bridge.open();
    const first = bridge.pid as number;
    process.kill(first, 'SIGUSR2');
    await waitFor(() => lost.length === 1, 'the loss');
    t.equal(scans.length, 1, 'the scan sent before the crash still counts');
    t.same(lost, ['the palm bridge exited with code 3']);
    t.equal(bridge.stats.state, undefined, 'no state is claimed for a bridge that is gone');

    // The device-link machine opens again after its backoff; open cleans up the old run itself.
    await bridge.open();
    const second = bridge.pid as number;
    t.not(second, first);
    t.notOk(alive(first));
    process.kill(second, 'SIGUSR2');
    await waitFor(() => scans.length === 2, 'a scan from the new bridge');
    t.equal(bridge.stats.starts, 2);
    t.equal(bridge.stats.connections, 2);
  },
);

t.test('a scan’s own time is used when it is recent by the hub’s clock', async (t) => {
  const now = new FakeClock().now();
  const { bridge, scans } = await scripted(t, [
    HELLO,
    READY,
    scanLine(HANDLE, now - 2_000),
    scanLine(HANDLE, now + 500),
    scanLine(HANDLE, now - 60_000),
    scanLine(HANDLE, 0),
  ]);
  await bridge.open();
  await waitFor(() => scans.length === 4, 'four scans');
  t.same(
    scans.map((s) => s.at),
    [now - 2_000, now, now, now],
  );
});

t.test(
  'garbage from a ready bridge is counted, logged once a kind and dropped; good scans still pass',
  async (t) => {
    const lines = [
      HELLO,
      '\r\n', // blank lines say nothing
      '\n',
      READY.replace('\n', '\r\n'), // a CR before the LF is fine
      'not json\n',
      'still not json\n',
      '[1,2]\n',
      '{"type":"teleport"}\n',
      `{"type":"scan","handle":"\\u0001${HANDLE}"}\n`, // a control character
      `{"type":"scan","handle":"${HANDLE}\xff\xfe"}\n`, // bytes that are not UTF-8
      `{"type":"scan","handle":"${HANDLE} with spaces"}\n`,
      scanLine('h'.repeat(1025)),
      scanLine(''),
      '{"type":"scan"}\n',
      `{"type":"scan","handle":"${HANDLE}","at":"yesterday"}\n`,
      HELLO,
      '{"type":"status","state":"asleep"}\n',
      '{"type":"status","state":"busy","detail":"line\\nbreak"}\n',
      '{"type":"error","code":"has space","message":"x"}\n',
      '{"type":"hello"}\n',
      `{"type":"hello","protocol":1,"vendor":"${'v'.repeat(65)}","model":"m","bridgeVersion":"1"}\n`,
      `${'x'.repeat(10_000)}`, // longer than a line may be, its newline in the next write
      `${HANDLE}\n`,
      '{"type":"status","state":"busy","detail":"cleaning the sensor"}\n',
      scanLine(HANDLE),
    ];
    const tuning = { maxLinesPerSecond: 100, maxBadLines: 100 };
    const { bridge, scans, lost, logged } = await scripted(t, lines, {}, { tuning });
    await bridge.open();
    await waitFor(() => scans.length === 1, 'the good scan');
    t.equal(scans[0]?.credential.reveal(), HANDLE);
    t.same(lost, [], 'some garbage does not restart the bridge');
    t.match(bridge.stats, {
      scans: 1,
      notJson: 3,
      unknownType: 1,
      badHandle: 6,
      badMessage: 7,
      tooLong: 1,
      flood: 0,
      state: 'busy',
      pendingBytes: 0,
    });
    const warnings = logged.lines.filter((l) => l.level === 'warn');
    t.same(
      warnings.map((l) => l.problem),
      ['notJson', 'unknownType', 'badHandle', 'badMessage', 'tooLong'],
      'one line per kind of trouble',
    );
    t.match(warnings[2], { msg: /handle is not printable ASCII/, scanner: 'palm-entry-1' });
    t.notOk(logged.text().includes(HANDLE), 'no handle, good or bad, is ever logged');
  },
);

t.test('a bridge that keeps sending garbage is restarted', async (t) => {
  const garbage = Array.from({ length: 5 }, () => 'garbage\n');
  const { bridge, lost } = await scripted(t, [HELLO, READY, ...garbage], {}, { tuning: { maxBadLines: 5 } });
  await bridge.open();
  await waitFor(() => lost.length === 1, 'the loss');
  t.same(lost, [
    'the palm bridge sent too much bad input (5 bad lines within 60 s, the last a line that is not JSON)',
  ]);
});

t.test('bad lines spread over time do not add up to a restart', async (t) => {
  const { bridge, clock, scans, lost } = await rig(t, {
    command: sim('--garbage'),
    tuning: { maxBadLines: 2, pingIntervalMs: 3_600_000 },
  });
  await bridge.open();
  const pid = bridge.pid as number;
  process.kill(pid, 'SIGUSR2');
  await waitFor(() => scans.length === 1, 'the first scan');
  t.equal(bridge.stats.notJson, 1, 'the garbage before it was dropped');
  clock.advance(60_000);
  process.kill(pid, 'SIGUSR2');
  await waitFor(() => scans.length === 2, 'the second scan, a minute later');
  t.same(lost, [], 'one bad line a minute is not enough');
  process.kill(pid, 'SIGUSR2');
  await waitFor(() => lost.length === 1, 'the loss');
  t.match(lost[0], /too much bad input \(2 bad lines within 60 s/);
});

t.test('a flooding bridge has its excess dropped', async (t) => {
  const scansIn = Array.from({ length: 10 }, () => scanLine(HANDLE));
  const { bridge, scans, lost } = await scripted(
    t,
    [HELLO, READY, ...scansIn],
    {},
    {
      tuning: { maxLinesPerSecond: 5 },
    },
  );
  await bridge.open();
  await waitFor(() => bridge.stats.flood === 7, 'the flood counted');
  t.equal(scans.length, 3, 'hello, ready and three scans fit the second');
  t.same(lost, []);
});

t.test('a bridge that does not start right never opens, and leaves nothing behind', async (t) => {
  const cases: [string, string[], RegExp][] = [
    [
      'a first line that is not JSON',
      ['Acme SDK v2 starting...\n'],
      /did not start with a hello: it sent a line that is not JSON/,
    ],
    ['a status before hello', [READY], /sent status before hello/],
    [
      'another protocol',
      [HELLO.replace('"protocol":1', '"protocol":2')],
      /speaks protocol 2; this hub speaks protocol 1/,
    ],
    ['a fault without detail', [HELLO, '{"type":"status","state":"fault"}\n'], /fault: no detail given$/],
    [
      'a line longer than a line may be',
      ['{'.repeat(5000)],
      /did not start with a hello: it sent a line longer than 4096 bytes/,
    ],
  ];
  for (const [what, lines, reason] of cases) {
    const { bridge, socketPath } = await scripted(t, lines);
    await t.rejects(bridge.open(), { message: reason }, what);
    t.notOk(existsSync(socketPath), `${what}: no socket left`);
    t.equal(bridge.pid, undefined);
  }
  const faulty = await rig(t, { command: sim('--fault', 'sensor not found on USB') });
  await t.rejects(faulty.bridge.open(), {
    message: 'the palm scanner reports a fault: sensor not found on USB',
  });
});

t.test('the simulated bridge scans on a timer, the same palms for the same seed', async (t) => {
  const { bridge, scans } = await rig(t, { command: sim('--every', '20', '--seed', '5', '--palms', '1000') });
  const handles = async () => {
    scans.length = 0;
    await bridge.open();
    await waitFor(() => scans.length >= 3, 'three scans');
    await bridge.close();
    return scans.slice(0, 3).map((s) => s.credential.reveal());
  };
  const first = await handles();
  t.equal(new Set(first).size, 3, 'different palms');
  t.same(await handles(), first, 'a restarted bridge with the same seed sees the same palms');
});

t.test('the simulated bridge needs the hub’s socket named', async (t) => {
  const run = spawnSync(process.execPath, [...process.execArgv, simBridge], {
    env: childEnv({ STORE_GATEWAY_PALM_SOCKET: '' }),
  });
  t.equal(run.status, 2);
  t.match(run.stderr.toString(), /STORE_GATEWAY_PALM_SOCKET must name the hub's socket/);
});

t.test('a bridge that never says hello times out', async (t) => {
  const { bridge, clock, socketPath } = await rig(t, { command: sim('--no-hello') });
  const opening = bridge.open();
  await waitFor(() => bridge.stats.connections === 1, 'the connection');
  const pid = bridge.pid as number;
  clock.advance(15_000);
  await t.rejects(opening, { message: 'the palm bridge did not say hello within 15 s' });
  t.notOk(alive(pid));
  t.notOk(existsSync(socketPath));
});

t.test('a bridge that never connects, or never reports its status, times out', async (t) => {
  const silent = await rig(t, { command: [process.execPath, '-e', 'setInterval(() => {}, 1 << 30)'] });
  const opening = silent.bridge.open();
  await waitFor(() => silent.bridge.pid !== undefined, 'the process');
  silent.clock.advance(15_000);
  await t.rejects(opening, { message: 'the palm bridge did not connect within 15 s' });

  const mute = await scripted(t, [HELLO]);
  const muteOpening = mute.bridge.open();
  await waitFor(() => mute.bridge.stats.bridge !== undefined, 'the hello');
  mute.clock.advance(15_000);
  await t.rejects(muteOpening, { message: 'the palm bridge did not report its status within 15 s' });
});

t.test('a fault reported while ready is a loss with the bridge’s words', async (t) => {
  const { bridge, lost } = await scripted(t, [
    HELLO,
    READY,
    '{"type":"status","state":"fault","detail":"sensor unplugged"}\n',
  ]);
  await bridge.open();
  await waitFor(() => lost.length === 1, 'the loss');
  t.same(lost, ['the palm scanner reports a fault: sensor unplugged']);
});

t.test('a hung bridge that does not answer pings is lost', async (t) => {
  const { bridge, clock, lost } = await rig(t, { command: sim('--no-pong') });
  await bridge.open();
  clock.advance(10_000);
  t.equal(bridge.stats.pings, 1);
  clock.advance(4_999);
  t.same(lost, []);
  clock.advance(1);
  t.same(lost, ['the palm bridge did not answer a ping within 5 s (is it hung?)']);
});

t.test('a ping is not repeated while one is unanswered', async (t) => {
  const { bridge, clock, lost } = await rig(t, {
    command: sim('--no-pong'),
    tuning: { pingIntervalMs: 2_000, pongTimeoutMs: 5_000 },
  });
  await bridge.open();
  clock.advance(4_000);
  t.equal(bridge.stats.pings, 1);
  clock.advance(3_000);
  t.same(lost, ['the palm bridge did not answer a ping within 5 s (is it hung?)']);
});

t.test('a scan before the bridge reported its status is dropped', async (t) => {
  const { bridge, scans } = await scripted(t, [HELLO, scanLine(HANDLE), READY, scanLine(HANDLE)]);
  await bridge.open();
  await waitFor(() => scans.length === 1, 'the scan after ready');
  t.equal(bridge.stats.badMessage, 1);
});

t.test('a bridge that closes its socket but keeps running is lost, and stopped', async (t) => {
  const { bridge, clock, lost } = await scripted(t, [HELLO, READY], { PALM_HANGUP: '1' });
  await bridge.open();
  const pid = bridge.pid as number;
  await waitFor(() => clock.pending > 1, 'the hangup noticed'); // the ping interval and the exit wait
  clock.advance(500);
  t.same(lost, ['the palm bridge closed its connection']);
  await bridge.close();
  t.notOk(alive(pid));
});

t.test('a bridge that drops its connection with a ping unread is lost with the socket’s error', async (t) => {
  const { bridge, clock, lost } = await scripted(t, [HELLO, READY], { PALM_RESET: '1' });
  await bridge.open();
  clock.advance(10_000); // a ping the bridge never reads
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.kill(bridge.pid as number, 'SIGUSR2');
  await waitFor(() => clock.pending > 2, 'the reset noticed'); // the ping interval, the pong wait and the exit wait
  clock.advance(500);
  t.same(lost, ['the palm bridge closed its connection (ECONNRESET)']);
});

t.test('a bridge that ignores SIGTERM is killed after the grace period', async (t) => {
  const { bridge, clock, socketPath } = await scripted(t, [HELLO, READY], { PALM_STUBBORN: '1' });
  await bridge.open();
  const pid = bridge.pid as number;
  let closed = false;
  const closing = bridge.close().then(() => {
    closed = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.ok(alive(pid), 'still running after SIGTERM');
  t.notOk(closed);
  clock.advance(3_000);
  await closing;
  t.notOk(alive(pid));
  t.notOk(existsSync(socketPath));
});

t.test('the bridge’s error messages are logged with their code, a few a minute', async (t) => {
  const errors = Array.from(
    { length: 7 },
    (_, i) => `{"type":"error","code":"SDK_TIMEOUT","message":"capture ${i} timed out"}\n`,
  );
  const { bridge, logged } = await scripted(t, [HELLO, READY, ...errors, '{"type":"error","code":"E1"}\n']);
  await bridge.open();
  await waitFor(() => bridge.stats.bridgeErrors === 7 && bridge.stats.badMessage === 1, 'the errors');
  const told = logged.lines.filter((l) => l.msg === 'the palm bridge reports an error');
  t.equal(told.length, 5);
  t.match(told[0], { code: 'SDK_TIMEOUT', detail: 'capture 0 timed out', level: 'warn' });
});

t.test('a second connection to the socket is refused; the bridge keeps working', async (t) => {
  const { bridge, socketPath, scans } = await rig(t);
  await bridge.open();
  const intruder = createConnection(socketPath);
  intruder.on('error', () => {});
  await new Promise((resolve) => intruder.on('close', resolve));
  t.equal(bridge.stats.refusedConnections, 1);
  process.kill(bridge.pid as number, 'SIGUSR2');
  await waitFor(() => scans.length === 1, 'a scan');
});

t.test('a bridge that cannot be started, or a socket that cannot be made, is a clear refusal', async (t) => {
  const missing = await rig(t, { command: ['/opt/acme/palm-bridge-missing'] });
  await t.rejects(missing.bridge.open(), {
    message: /^cannot start the palm bridge \/opt\/acme\/palm-bridge-missing: spawn .* ENOENT$/,
  });

  const long = await rig(t, { socketPath: `/tmp/${'x'.repeat(120)}.sock` });
  await t.rejects(long.bridge.open(), {
    message: /is 130 bytes long; a unix socket path may have at most 107/,
  });

  const blocked = await rig(t);
  const file = join(blocked.dir, 'run');
  writeFileSync(file, 'not a directory');
  await t.rejects(blocked.bridge.open(), {
    message: /^cannot listen for the palm bridge at .*: .*(EEXIST|ENOTDIR)/,
  });

  const occupied = await rig(t);
  await rm(join(occupied.dir, 'run'), { recursive: true, force: true });
  mkdirSync(join(occupied.dir, 'run'));
  writeFileSync(occupied.socketPath, 'a file where the socket goes');
  await t.rejects(occupied.bridge.open(), {
    message: /something that is not a socket is in the way; the hub will not remove it$/,
  });
  t.ok(existsSync(occupied.socketPath), 'the file is left alone');
});

t.test('a socket directory another user could tamper with is refused', async (t) => {
  const open = await rig(t);
  mkdirSync(join(open.dir, 'run'), { mode: 0o777 });
  chmodSync(join(open.dir, 'run'), 0o777);
  await t.rejects(open.bridge.open(), {
    message: /run is writable by other users; make it 0700 or set RUNTIME_DIRECTORY$/,
  });

  const linked = await rig(t);
  mkdirSync(join(linked.dir, 'elsewhere'), { mode: 0o700 });
  symlinkSync(join(linked.dir, 'elsewhere'), join(linked.dir, 'run'));
  await t.rejects(linked.bridge.open(), { message: /run is not a directory$/ });
  t.notOk(existsSync(join(linked.dir, 'elsewhere', 'palm-entry-1.sock')), 'nothing listens through the link');
});

t.test('a socket left by a crashed hub is replaced', async (t) => {
  const { bridge, socketPath, scans } = await rig(t);
  mkdirSync(join(socketPath, '..'));
  // A process that listens and exits without closing leaves its socket file behind.
  execFileSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.exit(0))`,
  ]);
  t.ok(statSync(socketPath).isSocket());
  await bridge.open();
  process.kill(bridge.pid as number, 'SIGUSR2');
  await waitFor(() => scans.length === 1, 'a scan');
});

t.test('closing while the bridge starts makes open fail and leaves nothing', async (t) => {
  const { bridge, socketPath } = await rig(t, { command: sim('--no-hello') });
  const closedWhileStarting = { message: 'the palm bridge was closed while starting' };
  const opening = t.rejects(bridge.open(), closedWhileStarting);
  const again = t.rejects(bridge.open(), closedWhileStarting, 'a second open waits for the same start');
  await waitFor(() => bridge.stats.connections === 1, 'the connection');
  const pid = bridge.pid as number;
  await bridge.close();
  await opening;
  await again;
  t.notOk(alive(pid));
  t.notOk(existsSync(socketPath));

  // Closed before it even listened.
  const quick = t.rejects(bridge.open(), closedWhileStarting);
  await bridge.close();
  await quick;
  t.notOk(existsSync(socketPath));
});

t.test('a listener that closes the link stops delivery at once', async (t) => {
  const { bridge, scans } = await scripted(t, [HELLO, READY, scanLine(HANDLE), scanLine(HANDLE)]);
  const seen: Scan[] = [];
  const stop = bridge.onData((scan) => {
    seen.push(scan);
    void bridge.close();
  });
  await bridge.open();
  await waitFor(() => seen.length === 1, 'the first scan');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(seen.length, 1);
  t.equal(scans.length, 1, 'the second scan reaches nobody: the link was closed');
  stop();
});

t.test('the protocol reader names each problem without quoting the line', async (t) => {
  t.match(parseBridgeLine('{"type":"error","code":"E1","message":"m"}'), {
    ok: true,
    message: { type: 'error', code: 'E1', message: 'm' },
  });
  t.match(parseBridgeLine('{"type":"pong"}'), { ok: true, message: { type: 'pong' } });
  t.match(parseBridgeLine('null'), { ok: false, kind: 'notJson' });
  t.match(parseBridgeLine('{"type":"hello","protocol":"1"}'), { ok: false, problem: /integer protocol/ });
  t.match(parseBridgeLine('{"type":"status","state":"ready","detail":7}'), { ok: false, problem: /detail/ });
  t.match(parseBridgeLine('{"type":"scan","handle":"abc","at":-1}'), { ok: false, problem: /at is not/ });
});
