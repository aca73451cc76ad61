import t from 'tap';
import { type EventData, type EventKind, eventCatalogue, eventKinds } from '../../src/events/catalogue.js';
import { clean, clock, LivePrint, summarise } from '../../src/upstream/print.js';

const at = '2025-01-15T07:02:03.123Z';
const shelf = {
  shelfId: 'shelf-3',
  plates: [1, 2],
  deltaGrams: -354.26,
  items: [{ sku: 'cola-330', qty: 1, probability: 0.93 }],
  confidence: 0.93,
  startedAt: at,
  settledAt: at,
  tripId: 'trip-9',
  coverage: 'full' as const,
};

const samples: { [K in EventKind]: [EventData<K>, string] } = {
  'hub.started': [
    { version: '0.1.0', previousStop: 'crash', devices: 12 },
    'version 0.1.0, previous stop crash, 12 devices',
  ],
  'hub.stopping': [{ reason: 'SIGTERM' }, 'SIGTERM'],
  'device.status': [
    { deviceId: 'qr-in', deviceKind: 'scanner', status: 'offline', reason: 'cable unplugged' },
    'scanner qr-in offline: cable unplugged',
  ],
  'camera.outage': [
    {
      deviceId: 'cam-aisle-a',
      from: '2026-11-24T07:02:03.000Z',
      to: '2026-11-24T07:04:13.400Z',
      durationMs: 130_400,
      worst: 'offline',
      reason: 'connection refused by 10.0.0.21:554',
    },
    'camera cam-aisle-a offline for 130 s: connection refused by 10.0.0.21:554',
  ],
  'store.mode': [
    { mode: 'degraded', reasons: ['camera cam-2 offline', 'shelf-3 faulty'] },
    'degraded: camera cam-2 offline; shelf-3 faulty',
  ],
  'entry.denied': [
    { gateId: 'gate-in', credentialKind: 'qr', reason: 'expired' },
    'gate gate-in qr: expired',
  ],
  'trip.started': [
    { tripId: 'trip-9', gateId: 'gate-in', credentialKind: 'palm', partySize: 2 },
    'trip trip-9 at gate gate-in, palm, party of 2',
  ],
  'shopper.entered': [{ tripId: 'trip-9', gateId: 'gate-in' }, 'trip trip-9 entered at gate gate-in'],
  'shopper.exited': [{ gateId: 'gate-out' }, 'left at gate gate-out'],
  'gate.alarm': [{ gateId: 'gate-in', alarm: 'tailgate', state: 'raised' }, 'gate gate-in tailgate raised'],
  emergency: [{ state: 'active', source: 'fire panel' }, 'active (fire panel)'],
  'shelf.pick': [
    shelf,
    'shelf shelf-3 plates 1,2 -354.3g: 1× cola-330 (0.93), confidence 0.93, coverage full, trip trip-9',
  ],
  'shelf.put': [
    { ...shelf, plates: [4], deltaGrams: 12, items: [], tripId: undefined, coverage: 'none' },
    'shelf shelf-3 plate 4 +12g: no item, confidence 0.93, coverage none',
  ],
  'shelf.anomaly': [
    {
      shelfId: 'shelf-3',
      plates: [1],
      deltaGrams: 41,
      reason: 'no planogram item weighs 41 g',
      startedAt: at,
    },
    'shelf shelf-3 plate 1 +41g: no planogram item weighs 41 g',
  ],
  'audit.command': [
    {
      source: 'cloud',
      name: 'gate.unlock',
      args: { gateId: 'gate-in' },
      ok: false,
      error: { code: 'busy', message: 'gate moving' },
    },
    'cloud gate.unlock {"gateId":"gate-in"} → failed: busy gate moving',
  ],
  'outbox.gap': [
    { fromSeq: 2, toSeq: 501, count: 500, oldestTime: at, newestTime: at },
    `lost seqs 2..501 (500 events from ${at} to ${at}) before the cloud had them`,
  ],
};

t.test('every kind of the catalogue has a readable one-line summary', async (t) => {
  for (const kind of eventKinds) {
    const [data, expected] = samples[kind];
    t.ok(eventCatalogue[kind].safeParse(data).success, `${kind} sample is valid`);
    t.equal(summarise(kind, data), expected, kind);
  }
});

t.test('the summaries cover the quieter variants too', async (t) => {
  t.equal(summarise('store.mode', { mode: 'open', reasons: [] }), 'open');
  t.equal(
    summarise('device.status', { deviceId: 'cam-1', deviceKind: 'camera', status: 'online', reason: '' }),
    'camera cam-1 online',
  );
  t.equal(
    summarise('shopper.exited', { gateId: 'gate-out', tripId: 'trip-9' }),
    'left at gate gate-out, trip trip-9',
  );
  t.equal(summarise('emergency', { state: 'cleared' }), 'cleared');
  t.equal(
    summarise('audit.command', { source: 'local', name: 'shelf.tare', args: {}, ok: true }),
    'local shelf.tare {} → ok',
  );
  t.equal(
    summarise('audit.command', { source: 'local', name: 'x', args: {}, ok: false }),
    'local x {} → failed',
  );
});

t.test('an unrecognised event is shown as compact JSON with the reason', async (t) => {
  t.equal(
    summarise('door.chime', { volume: 3 }, 'unknown kind'),
    'unrecognised (unknown kind): {"volume":3}',
  );
  t.equal(summarise('door.chime', { volume: 3 }), 'unrecognised (unknown kind): {"volume":3}');
});

t.test('text from a hub is cleaned of control characters and cut short', async (t) => {
  t.equal(clean('scanner\u001b[31m red\nline'), 'scanner?[31m red?line');
  t.equal(clean('x'.repeat(500)).length, 400);
  t.ok(clean('x'.repeat(500)).endsWith('…'));
});

t.test('lines start with the local time to the millisecond, then who, then what', async (t) => {
  const now = new Date(2025, 0, 15, 14, 2, 3, 7);
  t.equal(clock(now), '14:02:03.007');
  const lines: string[] = [];
  const print = new LivePrint(
    (l) => lines.push(l),
    () => now,
  );
  print.event('hub-sim-01', {
    seq: 42,
    id: 'x',
    time: at,
    kind: 'device.status',
    data: samples['device.status'][0],
  });
  print.disconnected('hub-sim-01', 1006, '');
  print.commandResult('hub-sim-01', 'shelf.tare', { type: 'command.result', id: 'c1', ok: true });
  t.same(lines, [
    '14:02:03.007  hub-sim-01  #42  device.status  scanner qr-in offline: cable unplugged',
    '14:02:03.007  hub-sim-01  disconnected (1006)',
    '14:02:03.007  hub-sim-01  command shelf.tare → ok',
  ]);
});
