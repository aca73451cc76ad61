import t from 'tap';
import type { DeviceStatusData } from '../../src/machines/status.js';
import {
  type ModeFacts,
  type ModeRules,
  type StoreModeData,
  StoreModeKeeper,
  sameMode,
  storeMode,
} from '../../src/machines/store-mode.js';
import { FakeClock } from '../../src/system/clock.js';

const online = (deviceId: string, deviceKind: DeviceStatusData['deviceKind']): DeviceStatusData => ({
  deviceId,
  deviceKind,
  status: 'online',
  reason: 'connected',
});

const rules: ModeRules = { criticalDevices: ['gate-in', 'qr-in'], closeWithoutCoverage: true };

function facts(overrides: Partial<ModeFacts> = {}): ModeFacts {
  return {
    set: 'open',
    devices: new Map<string, DeviceStatusData | undefined>([
      ['gate-in', online('gate-in', 'gate')],
      ['qr-in', online('qr-in', 'scanner')],
      ['cam-a', online('cam-a', 'camera')],
      ['cam-b', online('cam-b', 'camera')],
      ['shelf-1', online('shelf-1', 'shelf')],
    ]),
    shelves: [{ shelfId: 'shelf-1', cameras: 2, coverage: 'full' }],
    warmingUp: false,
    ...overrides,
  };
}

const withDevice = (status: DeviceStatusData) => {
  const f = facts();
  (f.devices as Map<string, DeviceStatusData | undefined>).set(status.deviceId, status);
  return f;
};

t.test('everything up and seen: open, with nothing to say', async (t) => {
  t.same(storeMode(facts(), rules), { mode: 'open', reasons: [] });
});

t.test('an emergency wins over everything, and names its source', async (t) => {
  t.same(storeMode(facts({ set: 'closed', emergency: { source: 'fire alarm input at gate-in' } }), rules), {
    mode: 'emergency',
    reasons: ['fire alarm input at gate-in', 'every gate is open'],
  });
});

t.test('closed by the cloud or a technician, and the other problems still listed', async (t) => {
  const f = withDevice({
    deviceId: 'cam-b',
    deviceKind: 'camera',
    status: 'degraded',
    reason: 'frozen image',
  });
  t.same(storeMode({ ...f, set: 'closed' }, rules), {
    mode: 'closed',
    reasons: ['closed: entry refused, exits free', 'camera cam-b degraded: frozen image'],
  });
});

t.test('a critical device offline closes the store; one never heard from too', async (t) => {
  const f = withDevice({ deviceId: 'qr-in', deviceKind: 'scanner', status: 'offline', reason: 'unplugged' });
  t.same(storeMode(f, rules), { mode: 'closed', reasons: ['critical device qr-in offline: unplugged'] });
  const silent = facts();
  (silent.devices as Map<string, DeviceStatusData | undefined>).delete('gate-in');
  t.same(storeMode(silent, rules), {
    mode: 'closed',
    reasons: ['critical device gate-in not heard from yet'],
  });
});

t.test('a critical device degraded (a scanner under test) degrades the store, not closes it', async (t) => {
  const f = withDevice({
    deviceId: 'qr-in',
    deviceKind: 'scanner',
    status: 'degraded',
    reason: 'under test until 2026-11-25T07:02:00.000Z: its gate ignores it',
  });
  t.same(storeMode(f, rules), {
    mode: 'degraded',
    reasons: ['scanner qr-in degraded: under test until 2026-11-25T07:02:00.000Z: its gate ignores it'],
  });
});

t.test('a shelf no camera sees closes the store; a shelf partly seen degrades it', async (t) => {
  t.same(storeMode(facts({ shelves: [{ shelfId: 'shelf-1', cameras: 2, coverage: 'none' }] }), rules), {
    mode: 'closed',
    reasons: ['no camera sees shelf-1'],
  });
  t.same(storeMode(facts({ shelves: [{ shelfId: 'shelf-1', cameras: 2, coverage: 'partial' }] }), rules), {
    mode: 'degraded',
    reasons: ['shelf-1 only partly seen'],
  });
  t.same(
    storeMode(facts({ shelves: [{ shelfId: 'shelf-1', cameras: 2, coverage: 'none' }] }), {
      ...rules,
      closeWithoutCoverage: false,
    }),
    { mode: 'degraded', reasons: ['no camera sees shelf-1'] },
    'when the rules say coverage does not close the store',
  );
  t.same(
    storeMode(facts({ shelves: [{ shelfId: 'shelf-2', cameras: 0, coverage: 'none' }] }), rules),
    { mode: 'open', reasons: [] },
    'a shelf configured without cameras is not a coverage problem',
  );
});

t.test('a non-critical device offline or degraded degrades the store, with its reason', async (t) => {
  const f = withDevice({
    deviceId: 'shelf-1',
    deviceKind: 'shelf',
    status: 'offline',
    reason: 'hx-bus lost',
  });
  t.same(storeMode(f, rules), { mode: 'degraded', reasons: ['shelf shelf-1 offline: hx-bus lost'] });
});

t.test('while warming up, what would close the store only degrades it, and says so', async (t) => {
  const f = facts({ warmingUp: true, shelves: [{ shelfId: 'shelf-1', cameras: 2, coverage: 'none' }] });
  (f.devices as Map<string, DeviceStatusData | undefined>).delete('qr-in');
  t.same(storeMode(f, rules), {
    mode: 'degraded',
    reasons: ['warming up: critical device qr-in not heard from yet', 'warming up: no camera sees shelf-1'],
  });
  t.same(
    storeMode({ ...f, set: 'closed' }, rules).mode,
    'closed',
    'a store closed on purpose stays closed while warming up',
  );
});

t.test('the same mode and reasons are the same announcement; any change is a new one', async (t) => {
  const a = storeMode(facts(), rules);
  t.ok(sameMode(a, storeMode(facts(), rules)));
  t.notOk(sameMode(undefined, a), 'nothing announced yet');
  t.notOk(sameMode(a, storeMode(facts({ set: 'closed' }), rules)));
  const offline = (reason: string) =>
    storeMode(withDevice({ deviceId: 'cam-a', deviceKind: 'camera', status: 'offline', reason }), rules);
  t.notOk(sameMode(offline('timeout'), offline('refused')), 'a new reason is news');
});

t.test(
  'the keeper announces the first mode and every change, once, and ends the warm-up on time',
  async (t) => {
    const clock = new FakeClock();
    const announced: StoreModeData[] = [];
    let current = facts({ shelves: [{ shelfId: 'shelf-1', cameras: 2, coverage: 'none' }] });
    const keeper = new StoreModeKeeper({
      rules,
      warmUpMs: 60_000,
      clock,
      facts: () => current,
      announce: (m) => announced.push(m),
    });
    keeper.start();
    clock.advance(0);
    t.same(announced, [{ mode: 'degraded', reasons: ['warming up: no camera sees shelf-1'] }]);
    keeper.update();
    clock.advance(0);
    t.equal(announced.length, 1, 'nothing new, nothing announced');
    clock.advance(60_000);
    t.same(announced.at(-1), { mode: 'closed', reasons: ['no camera sees shelf-1'] }, 'the minute is over');
    current = facts();
    keeper.update();
    t.same(keeper.current, { mode: 'open', reasons: [] }, 'the mode itself is known at once');
    clock.advance(0);
    t.equal(announced.length, 3);
    keeper.stop();
  },
);

t.test(
  'a burst of device reports in one turn is one announcement, and a change undone within it none',
  async (t) => {
    const clock = new FakeClock();
    const announced: StoreModeData[] = [];
    let current = facts();
    const keeper = new StoreModeKeeper({
      rules,
      warmUpMs: 0,
      clock,
      facts: () => current,
      announce: (m) => announced.push(m),
    });
    keeper.update();
    clock.advance(0);
    t.same(announced, [], 'nothing before start');
    keeper.start();
    for (const coverage of ['none', 'partial', 'full'] as const) {
      current = facts({ shelves: [{ shelfId: 'shelf-1', cameras: 2, coverage }] });
      keeper.update();
    }
    clock.advance(0);
    t.same(announced, [{ mode: 'open', reasons: [] }], 'three reports, one announcement: how it ended');
    current = facts({ shelves: [{ shelfId: 'shelf-1', cameras: 2, coverage: 'none' }] });
    keeper.update();
    t.equal(keeper.current.mode, 'closed', 'closed at once for the entry desk');
    current = facts();
    keeper.update();
    clock.advance(0);
    t.equal(announced.length, 1, 'closed and open again in one turn: the cloud is not told twice');
    keeper.stop();
    t.equal(clock.pending, 0, 'stopping leaves nothing scheduled');
  },
);

t.test('without a warm-up the rules apply from the start', async (t) => {
  const announced: StoreModeData[] = [];
  const clock = new FakeClock();
  const keeper = new StoreModeKeeper({
    rules,
    warmUpMs: 0,
    clock,
    facts: () => facts({ set: 'closed' }),
    announce: (m) => announced.push(m),
  });
  t.same(keeper.current.mode, 'closed', 'readable before start');
  keeper.start();
  clock.advance(0);
  t.same(announced, [{ mode: 'closed', reasons: ['closed: entry refused, exits free'] }]);
  keeper.stop();
});
