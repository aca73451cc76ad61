import t from 'tap';
import type { DeviceLink } from '../../src/drivers/link.js';
import type { Scan } from '../../src/drivers/scanner/port.js';
import { SimScanner } from '../../src/drivers/scanner/sim.js';
import {
  closeDevice,
  createDeviceLinkActor,
  retryDelay,
  type StatusEmitted,
} from '../../src/machines/index.js';
import { FakeClock } from '../../src/system/clock.js';
import { Random } from '../../src/system/random.js';
import { Secret } from '../../src/system/secret.js';

const start = Date.UTC(2025, 0, 1);

function watchScanner(clock: FakeClock, link: DeviceLink<Scan>, onData: (scan: Scan) => void = () => {}) {
  const statuses: Omit<StatusEmitted, 'type' | 'deviceKind'>[] = [];
  const actor = createDeviceLinkActor(
    { deviceId: (link as SimScanner).id ?? 'scanner', deviceKind: 'scanner', link, onData, random: () => 1 },
    clock,
  );
  actor.on('status', ({ deviceId, status, reason }) => statuses.push({ deviceId, status, reason }));
  actor.start();
  return { actor, statuses };
}

/** A link scripted by the test: every call is recorded, every answer can be changed. */
function scriptedLink(clock: FakeClock) {
  const opens: number[] = [];
  let lost: ((reason: string) => void) | undefined;
  const link = {
    opens,
    closes: 0,
    open: async () => {
      opens.push(clock.now() - start);
      throw new Error('device not found');
    },
    close: async () => {
      link.closes++;
    },
    onData: (_listener: (data: Scan) => void) => () => {},
    onLost: (listener: (reason: string) => void) => {
      lost = listener;
      return () => {
        lost = undefined;
      };
    },
    lose: (reason: string) => lost?.(reason),
  };
  return link;
}

t.test(
  'a scanner whose cable is kicked goes offline at once and comes back online when plugged in',
  async (t) => {
    const clock = new FakeClock(start);
    const scanner = new SimScanner('qr-in', clock);
    const scans: string[] = [];
    const { actor, statuses } = watchScanner(clock, scanner, (scan) => scans.push(scan.credential.reveal()));
    await clock.advanceAsync(0);
    t.same(statuses, [{ deviceId: 'qr-in', status: 'online', reason: 'connected' }]);
    scanner.present('token-1');
    t.same(scans, ['token-1'], 'scans reach the data callback');

    clock.advance(60_000);
    scanner.unplug('cable unplugged');
    t.equal(actor.getSnapshot().context.status, 'offline', 'offline at once, not at the next poll');
    t.same(statuses.at(-1), { deviceId: 'qr-in', status: 'offline', reason: 'cable unplugged' });
    t.equal(actor.getSnapshot().context.since, clock.now(), 'since marks the change');

    await clock.advanceAsync(4000);
    t.equal(statuses.length, 2, 'retries that fail the same way say nothing new');
    t.ok(actor.getSnapshot().context.failures >= 2, 'but they are counted');

    scanner.plugIn();
    await clock.advanceAsync(8000);
    t.same(statuses.at(-1), { deviceId: 'qr-in', status: 'online', reason: 'connected' });
    t.equal(statuses.length, 3);
    scanner.present('token-2');
    t.same(scans, ['token-1', 'token-2']);
    actor.stop();
  },
);

t.test('a device that fails to open retries with growing delays and does not spin', async (t) => {
  const clock = new FakeClock(start);
  const link = scriptedLink(clock);
  const jitter = new Random(11);
  const statuses: StatusEmitted[] = [];
  const actor = createDeviceLinkActor(
    { deviceId: 'palm-in', deviceKind: 'scanner', link, onData: () => {}, random: () => jitter.next() },
    clock,
  );
  actor.on('status', (e) => statuses.push(e));
  actor.start();
  await clock.advanceAsync(10 * 60_000);

  const gaps = link.opens.slice(1).map((at, i) => at - (link.opens[i] as number));
  t.ok(link.opens.length < 40, `${link.opens.length} attempts in ten minutes`);
  t.ok((gaps[0] as number) >= 250, `first retry after ${gaps[0]} ms`);
  const growing = gaps.filter((g) => g < 15_000);
  t.ok(
    growing.every((g, i) => i === 0 || g >= (growing[i - 1] as number)),
    `delays grow: ${growing.join(', ')}`,
  );
  t.ok(
    gaps.every((g) => g <= 30_000),
    'never longer than 30 s',
  );
  t.ok(
    gaps.slice(-5).every((g) => g >= 15_000),
    'and settle between 15 and 30 s',
  );
  t.same(
    statuses.map((s) => [s.status, s.reason]),
    [['offline', 'device not found']],
    'one status event, however many retries',
  );
  t.equal(link.closes, link.opens.length, 'each failed open is cleaned up before the next');
  t.equal(actor.getSnapshot().context.failures, link.opens.length);
  actor.stop();
});

t.test(
  "an exception in one device's data callback marks it offline and leaves the other devices running",
  async (t) => {
    const clock = new FakeClock(start);
    const bad = new SimScanner('qr-in', clock);
    const good = new SimScanner('palm-in', clock);
    const heard: string[] = [];
    const a = watchScanner(clock, bad, () => {
      throw new Error('parser exploded');
    });
    const b = watchScanner(clock, good, (scan) => heard.push(scan.credential.reveal()));
    await clock.advanceAsync(0);

    t.doesNotThrow(() => bad.present('x'), 'the exception does not reach the device');
    t.doesNotThrow(() => bad.present('y'), 'nor does the next scan before the link closes');
    t.equal(a.actor.getSnapshot().context.status, 'offline');
    t.same(a.statuses.at(-1), {
      deviceId: 'qr-in',
      status: 'offline',
      reason: 'could not handle its data: parser exploded',
    });
    t.equal(a.actor.getSnapshot().status, 'active', 'the actor lives on');
    await clock.advanceAsync(0);
    t.notOk(bad.isOpen, 'its link was closed so the next attempt starts clean');

    good.present('palm-1');
    t.same(heard, ['palm-1']);
    t.equal(b.actor.getSnapshot().context.status, 'online');

    await clock.advanceAsync(1000);
    t.equal(a.actor.getSnapshot().context.status, 'online', 'it tries again after the backoff');
    a.actor.stop();
    b.actor.stop();
  },
);

t.test('failures are forgotten after a stable period online', async (t) => {
  const clock = new FakeClock(start);
  const scanner = new SimScanner('qr-in', clock);
  scanner.unplug('cable unplugged');
  const { actor } = watchScanner(clock, scanner);
  await clock.advanceAsync(3000);
  t.ok(actor.getSnapshot().context.failures >= 3);
  scanner.plugIn();
  await clock.advanceAsync(5000);
  t.equal(actor.getSnapshot().context.status, 'online');
  t.ok(actor.getSnapshot().context.failures >= 3, 'not yet: a flapping device keeps its count');
  await clock.advanceAsync(30_000);
  t.equal(actor.getSnapshot().context.failures, 0);
  scanner.unplug('cable unplugged');
  t.equal(
    actor.getSnapshot().context.retryInMs,
    retryDelay(1, { minMs: 500, maxMs: 30_000, stableMs: 0 }, () => 1),
  );
  actor.stop();
});

t.test('a link that throws instead of rejecting still only takes its own device offline', async (t) => {
  const clock = new FakeClock(start);
  const throwing = (what: string) => () => {
    throw new Error(`${what} blew up`);
  };
  const cases: [string, Partial<DeviceLink<Scan>>, string][] = [
    ['open throws synchronously', { open: throwing('open') as never }, 'open blew up'],
    ['subscribing to losses throws', { onLost: throwing('onLost') as never }, 'onLost blew up'],
    ['a non-Error is thrown', { open: (() => Promise.reject('')) as never }, 'unknown error'],
  ];
  for (const [name, broken, reason] of cases) {
    const link: DeviceLink<Scan> = {
      ...new SimScanner('x', clock),
      ...bind(new SimScanner('x', clock)),
      ...broken,
    };
    const { actor, statuses } = watchScanner(clock, link);
    await clock.advanceAsync(0);
    t.same(
      statuses.map((s) => [s.status, s.reason]),
      [['offline', reason]],
      name,
    );
    actor.stop();
  }
});

t.test('a link whose close and unsubscribe throw is still retried and closed', async (t) => {
  const clock = new FakeClock(start);
  const scanner = new SimScanner('qr-in', clock);
  const link: DeviceLink<Scan> = {
    ...bind(scanner),
    close: async () => {
      throw new Error('close failed');
    },
    onLost: (listener) => {
      scanner.onLost(listener);
      return () => {
        throw new Error('unsubscribe failed');
      };
    },
  };
  const { actor, statuses } = watchScanner(clock, link);
  await clock.advanceAsync(0);
  scanner.unplug('cable unplugged');
  scanner.plugIn();
  await clock.advanceAsync(1000);
  t.same(
    statuses.map((s) => s.status),
    ['online', 'offline', 'online'],
  );
  await closeDevice(actor);
  t.equal(actor.getSnapshot().status, 'done');
});

t.test('a loss while the device is opening is not missed', async (t) => {
  const clock = new FakeClock(start);
  const link = scriptedLink(clock);
  link.open = () => {
    link.lose('unplugged while opening');
    return new Promise(() => {});
  };
  const { actor, statuses } = watchScanner(clock, link);
  await clock.advanceAsync(0);
  t.same(
    statuses.map((s) => s.reason),
    ['unplugged while opening'],
  );
  actor.stop();
});

t.test('the consumer can mark a linked device degraded and well again', async (t) => {
  const clock = new FakeClock(start);
  const { actor, statuses } = watchScanner(clock, new SimScanner('qr-in', clock));
  await clock.advanceAsync(0);
  actor.send({ type: 'degrade', reason: 'plate 3 reads nothing' });
  actor.send({ type: 'degrade', reason: 'plate 3 reads nothing' });
  actor.send({ type: 'recover' });
  t.same(
    statuses.map((s) => [s.status, s.reason]),
    [
      ['online', 'connected'],
      ['degraded', 'plate 3 reads nothing'],
      ['online', 'connected'],
    ],
  );
  actor.stop();
});

t.test('closing a device closes its link, reports it, and ends the actor', async (t) => {
  const clock = new FakeClock(start);
  const scanner = new SimScanner('qr-in', clock);
  const { actor, statuses } = watchScanner(clock, scanner);
  await clock.advanceAsync(0);
  t.ok(scanner.isOpen);
  await closeDevice(actor);
  t.notOk(scanner.isOpen);
  t.equal(actor.getSnapshot().status, 'done');
  t.same(statuses.at(-1), { deviceId: 'qr-in', status: 'offline', reason: 'closed' });
  await closeDevice(actor);
  t.pass('closing again resolves at once');

  const offline = new SimScanner('palm-in', clock);
  offline.unplug('cable unplugged');
  const other = watchScanner(clock, offline);
  await clock.advanceAsync(0);
  const closing = closeDevice(other.actor);
  other.actor.send({ type: 'close' });
  await closing;
  t.equal(other.actor.getSnapshot().status, 'done', 'also while waiting to retry');
  t.equal(clock.pending, 0, 'no retry left scheduled');
});

/** The link's methods bound to it, so they survive being spread into a test double. */
function bind(link: SimScanner): DeviceLink<Scan> {
  return {
    open: () => link.open(),
    close: () => link.close(),
    onData: (l) => link.onData(l),
    onLost: (l) => link.onLost(l),
  };
}

t.test('a burst of data the callback cannot handle takes the device offline once', async (t) => {
  const clock = new FakeClock(start);
  let listener: ((scan: Scan) => void) | undefined;
  const scan = (): Scan => ({ credential: new Secret('x'), at: clock.now() });
  const link: DeviceLink<Scan> = {
    // Data arriving while the machine is still busy opening: the second scan comes before the first
    // failure has been acted on, and must not reach the broken callback again.
    open: async () => {
      listener?.(scan());
      listener?.(scan());
    },
    close: async () => {},
    onData: (l) => {
      listener = l;
      return () => {
        listener = undefined;
      };
    },
    onLost: () => () => {},
  };
  let calls = 0;
  const { actor, statuses } = watchScanner(clock, link, () => {
    calls++;
    throw new Error('bad frame');
  });
  await clock.advanceAsync(0);
  t.equal(calls, 1);
  t.same(
    statuses.map((s) => s.reason),
    ['could not handle its data: bad frame'],
  );
  actor.stop();
});

/** A link whose device can leave and come back, as its presence watch would tell. */
function pluggableLink(clock: FakeClock) {
  const link = scriptedLink(clock);
  let present = true;
  let presence: ((present: boolean) => void) | undefined;
  const opens: number[] = [];
  return Object.assign(link, {
    opens,
    open: async () => {
      opens.push(clock.now() - start);
      if (!present) throw new Error('device not found');
    },
    onPresence: (listener: (present: boolean) => void) => {
      presence = listener;
      return () => {
        presence = undefined;
      };
    },
    unplug: () => {
      present = false;
      presence?.(false);
    },
    plugIn: () => {
      present = true;
      presence?.(true);
    },
    get watched() {
      return presence !== undefined;
    },
  });
}

/** A scanner's link actor on a pluggable link, started and online. */
async function linkedPluggable() {
  const clock = new FakeClock(start);
  const link = pluggableLink(clock);
  const actor = createDeviceLinkActor(
    { deviceId: 'qr-in', deviceKind: 'scanner', link, onData: () => {}, random: () => 1 },
    clock,
  );
  actor.start();
  await clock.advanceAsync(0);
  return { clock, link, actor };
}

t.test(
  'a device gone from the system is offline at once and reopened the moment it comes back, whatever the backoff',
  async (t) => {
    const clock = new FakeClock(start);
    const link = pluggableLink(clock);
    const statuses: StatusEmitted[] = [];
    const actor = createDeviceLinkActor(
      { deviceId: 'rs485-1', deviceKind: 'shelf', link, onData: () => {}, random: () => 1 },
      clock,
    );
    actor.on('status', (e) => statuses.push(e));
    actor.start();
    await clock.advanceAsync(0);
    t.equal(actor.getSnapshot().context.status, 'online');

    // Pulled: no read has failed yet, the presence watch alone tells.
    link.unplug();
    t.same(
      statuses.map((s) => [s.status, s.reason]).at(-1),
      ['offline', 'unplugged: no longer on the system'],
      'offline at once, saying it was unplugged',
    );
    // Left out for ten minutes: the backoff grows to its 30 s cap.
    await clock.advanceAsync(10 * 60_000);
    const opensWhileGone = link.opens.length;
    t.ok(actor.getSnapshot().context.retryInMs >= 15_000, 'the backoff had grown to the cap');

    link.plugIn();
    await clock.advanceAsync(0);
    t.equal(link.opens.length, opensWhileGone + 1, 'reopened once, at once');
    t.equal(link.opens.at(-1), clock.now() - start, 'not a millisecond later');
    t.same(statuses.map((s) => s.status).at(-1), 'online', 'and online again');
    t.equal(actor.getSnapshot().context.failures, 0, 'its failures are forgotten');

    // Presence saying "back" while it is already linked opens nothing twice.
    link.plugIn();
    await clock.advanceAsync(1000);
    t.equal(link.opens.length, opensWhileGone + 1, 'never opened twice');

    await closeDevice(actor);
    t.notOk(link.watched, 'closing stops watching its presence');
  },
);

t.test(
  'a device that comes back while its old link is still closing is reopened once that close ends',
  async (t) => {
    const { clock, link, actor } = await linkedPluggable();
    let finishClose: (() => void) | undefined;
    link.close = () =>
      new Promise<void>((resolve) => {
        link.closes++;
        finishClose = resolve;
      });
    link.unplug();
    link.plugIn();
    await clock.advanceAsync(0);
    t.equal(link.opens.length, 1, 'no open while the old link closes');
    finishClose?.();
    await clock.advanceAsync(0);
    t.equal(link.opens.length, 2, 'reopened as soon as it closed, without waiting for the backoff');
    t.equal(actor.getSnapshot().context.status, 'online');
    actor.stop();
  },
);

t.test(
  'a device plugged back in while a retry is opening is retried at once when that open fails',
  async (t) => {
    const { clock, link, actor } = await linkedPluggable();
    let finishOpen: ((error?: Error) => void) | undefined;
    link.unplug();
    await clock.advanceAsync(5 * 60_000);
    // The next retry starts an open that hangs, as a USB open can, and the device returns meanwhile.
    (link as { open: () => Promise<void> }).open = () =>
      new Promise<void>((resolve, reject) => {
        link.opens.push(clock.now() - start);
        finishOpen = (error) => (error ? reject(error) : resolve());
      });
    await clock.advanceAsync(30_000);
    const opens = link.opens.length;
    t.ok(finishOpen, 'a retry is opening');
    link.plugIn();
    finishOpen?.(new Error('device not found'));
    await clock.advanceAsync(0);
    t.equal(link.opens.length, opens + 1, 'tried again at once, not after the 30 s backoff');

    // Back and gone again while the old link closes: no retry at once of a device that is not there.
    finishOpen?.();
    await clock.advanceAsync(0);
    t.equal(actor.getSnapshot().context.status, 'online');
    actor.stop();
  },
);

t.test(
  'a device that comes back and leaves again while its link closes is not retried at once',
  async (t) => {
    const { clock, link, actor } = await linkedPluggable();
    let finishClose: (() => void) | undefined;
    link.close = () =>
      new Promise<void>((resolve) => {
        finishClose = resolve;
      });
    link.unplug();
    link.plugIn();
    link.unplug();
    finishClose?.();
    await clock.advanceAsync(0);
    t.equal(link.opens.length, 1, 'no open at once of a device that is gone');
    await clock.advanceAsync(1000);
    t.equal(link.opens.length, 2, 'it is tried when its backoff is over');
    actor.stop();
  },
);

t.test(
  'a device that is back but still refuses gets one retry at once, then its backoff, never a tight loop',
  async (t) => {
    const { clock, link, actor } = await linkedPluggable();
    link.unplug();
    await clock.advanceAsync(60_000);
    // Listed again, but opening still fails (udev has not given the service its permissions yet).
    (link as { open: () => Promise<void> }).open = async () => {
      link.opens.push(clock.now() - start);
      throw new Error('permission denied');
    };
    const before = link.opens.length;
    link.plugIn();
    await clock.advanceAsync(0);
    t.equal(link.opens.length, before + 1, 'one retry at once');
    await clock.advanceAsync(200);
    t.equal(link.opens.length, before + 1, 'then it waits');
    await clock.advanceAsync(10_000);
    t.ok(
      link.opens.length <= before + 6,
      `a few backed-off retries in ten seconds: ${link.opens.length - before}`,
    );
    actor.stop();
  },
);
