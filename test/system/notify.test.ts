// systemd's notify protocol, against a real unix datagram socket (socat receiving, as systemd would)
// and the real daemon: READY=1 once it is up with a STATUS line, WATCHDOG=1 at half the period
// systemd gives, STOPPING=1 on SIGTERM; and nothing at all outside systemd.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { serviceNotifier, watchdogPeriodMs } from '../../src/system/notify.js';
import { startDaemon, until, writeBusyStore } from '../helpers/daemon.js';
import { waitFor } from '../helpers/pty.js';
import type { TestContext } from '../helpers/tap-types.js';

/** A notify socket as systemd keeps one: socat receives each datagram and prints it. */
async function notifySocket(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'store-gateway-notify-'));
  const path = join(dir, 'notify');
  const socat: ChildProcess = spawn('/usr/bin/socat', ['-u', `UNIX-RECV:${path}`, 'STDOUT'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let received = '';
  socat.stdout?.on('data', (chunk: Buffer) => {
    received += chunk.toString();
  });
  t.teardown(async () => {
    socat.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  await waitFor(() => existsSync(path), 'the notify socket');
  return { path, received: () => received };
}

const count = (text: string, what: string) => text.split(what).length - 1;

t.test('the watchdog period is half what systemd gives, and only for the process it names', async (t) => {
  t.equal(watchdogPeriodMs({ WATCHDOG_USEC: '20000000' }), 10_000);
  t.equal(watchdogPeriodMs({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: String(process.pid) }), 10_000);
  t.equal(watchdogPeriodMs({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '1' }), undefined, 'another process');
  t.equal(watchdogPeriodMs({}), undefined, 'no watchdog');
  t.equal(watchdogPeriodMs({ WATCHDOG_USEC: 'soon' }), undefined, 'nonsense is no watchdog');
});

t.test('outside systemd nothing is sent and nothing is loaded', async (t) => {
  let opened = 0;
  const notifier = await serviceNotifier({
    env: {},
    clock: new FakeClock(),
    log: silentLogger(),
    open: async () => {
      opened++;
      return { send: () => {}, close: () => {} };
    },
  });
  notifier.ready('up');
  notifier.close();
  t.equal(opened, 0);
});

t.test(
  'pings come from the event loop at the period, stop when closed, and a failing socket is survived',
  async (t) => {
    const clock = new FakeClock();
    const sent: string[] = [];
    let fail = false;
    const notifier = await serviceNotifier({
      env: { NOTIFY_SOCKET: '@/org/freedesktop/systemd1/notify', WATCHDOG_USEC: '4000000' },
      clock,
      log: silentLogger(),
      open: async (address) => {
        t.equal(address, '\0/org/freedesktop/systemd1/notify', 'an abstract socket is addressed with a NUL');
        return {
          send: (m) => {
            if (fail) throw new Error('ECONNREFUSED');
            sent.push(m);
          },
          close: () => {},
        };
      },
    });
    clock.advance(6000);
    t.same(sent, ['WATCHDOG=1', 'WATCHDOG=1', 'WATCHDOG=1'], 'every 2 s of a 4 s watchdog');
    notifier.status('line one\nline two');
    t.equal(sent.at(-1), 'STATUS=line one line two', 'a status is one line');
    fail = true;
    t.doesNotThrow(() => notifier.ready('up'));
    notifier.close();
    fail = false;
    clock.advance(10_000);
    t.equal(count(sent.join(), 'WATCHDOG=1'), 3, 'no pings once closed');
    t.equal(clock.pending, 0);
  },
);

t.test('a notify socket that cannot be used is a clear failure, not a silent start timeout', async (t) => {
  const notifying = serviceNotifier({
    env: { NOTIFY_SOCKET: '/run/systemd/notify' },
    clock: new FakeClock(),
    log: silentLogger(),
    open: async () => {
      throw new Error('unix-dgram could not be loaded');
    },
  });
  await t.rejects(notifying, {
    message: 'cannot notify systemd on /run/systemd/notify: unix-dgram could not be loaded',
  });
});

t.test(
  'the real daemon under a notify socket: ready when up, watchdog pings, stopping on SIGTERM',
  async (t) => {
    const socket = await notifySocket(t);
    const dir = t.testdir();
    const config = writeBusyStore(dir, 'ws://127.0.0.1:9/hub');
    const daemon = startDaemon(['run', '--config', config], {
      NOTIFY_SOCKET: socket.path,
      WATCHDOG_USEC: '400000',
    });
    t.teardown(() => daemon.child.kill('SIGKILL'));
    await until(() => socket.received().includes('READY=1'), 30_000, `READY=1 (daemon: ${daemon.output()})`);
    t.match(
      socket.received(),
      /READY=1\nSTATUS=store \w+, uplink \w+, \d+\/\d+ devices online, \d+ events to send/,
      'ready, with a status line a technician can read',
    );
    t.match(socket.received(), /STATUS=starting/, 'starting was said first');
    await until(() => count(socket.received(), 'WATCHDOG=1') >= 3, 10_000, 'watchdog pings');
    daemon.child.kill('SIGTERM');
    t.equal((await daemon.exited).code, 0);
    await until(() => socket.received().includes('STOPPING=1'), 5000, 'STOPPING=1');
    t.match(socket.received(), /STOPPING=1\nSTATUS=stopping: SIGTERM/);
    t.notMatch(socket.received(), /e2e-token/, 'no secret in what systemd is told');
  },
);
