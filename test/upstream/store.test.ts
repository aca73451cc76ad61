import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { silentLogger } from '../../src/system/log.js';
import { Secret } from '../../src/system/secret.js';
import { startUpstream } from '../../src/upstream/server.js';
import { EventStore } from '../../src/upstream/store.js';

const event = (seq: number, id: string) => ({
  seq,
  id,
  time: '2025-01-15T07:02:03.123Z',
  kind: 'hub.stopping',
  data: { reason: 'test' },
});

t.test('the store keeps events durably in WAL mode with synchronous FULL', async (t) => {
  const path = join(t.testdir(), 'u.sqlite');
  const store = EventStore.open(path);
  store.hello('hub-a', 'store-1', '1.0.0');
  store.commit([{ hubId: 'hub-a', event: event(1, 'a1'), recognised: true }]);
  store.close();
  const db = new Database(path);
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('user_version', { simple: true }), 1);
  db.close();
  const again = EventStore.open(path);
  t.match(again.hub('hub-a'), { storeId: 'store-1', ackedSeq: 1, events: 1 });
  t.equal(again.hub('hub-nobody'), undefined);
  again.close();
});

t.test('one batch can carry several hubs, and a resend within the batch is a duplicate', async (t) => {
  const store = EventStore.open(join(t.testdir(), 'u.sqlite'));
  t.teardown(() => store.close());
  store.hello('hub-a', 's', '1');
  store.hello('hub-b', 's', '1');
  const outcome = store.commit([
    { hubId: 'hub-a', event: event(1, 'a1'), recognised: true },
    { hubId: 'hub-b', event: event(7, 'b7'), recognised: false },
    { hubId: 'hub-a', event: event(1, 'a1'), recognised: true },
    { hubId: 'hub-a', event: event(2, 'a2'), recognised: true },
  ]);
  t.same(outcome.arrivals, ['stored', 'stored', 'duplicate', 'stored']);
  t.same(
    [...outcome.ackedSeq],
    [
      ['hub-a', 2],
      ['hub-b', 7],
    ],
  );
  t.match(store.hubs(), [
    { hubId: 'hub-a', events: 2, duplicates: 1, unrecognised: 0 },
    { hubId: 'hub-b', events: 1, duplicates: 0, unrecognised: 1 },
  ]);
});

t.test('a database written by a newer upstream is refused, and the upstream does not start', async (t) => {
  const path = join(t.testdir(), 'u.sqlite');
  const db = new Database(path);
  db.pragma('user_version = 9');
  db.close();
  t.throws(() => EventStore.open(path), /written by a newer upstream \(schema 9, this one knows 1\)/);
  await t.rejects(
    startUpstream({ tokens: [new Secret('x')], dbPath: path, log: silentLogger() }),
    /written by a newer upstream/,
  );
});

t.test('an upstream needs at least one token', async (t) => {
  await t.rejects(
    startUpstream({ tokens: [], dbPath: join(t.testdir(), 'u.sqlite'), log: silentLogger() }),
    /at least one token/,
  );
});
