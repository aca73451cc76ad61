import { once } from 'node:events';
import t from 'tap';
import { connectHub, helloHub, startTestUpstream, statusEvent } from './fixtures/hub.js';

t.test('events are stored in seq order and acknowledged with one cumulative ack per burst', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url, 'hub-sim-01');
  for (let seq = 1; seq <= 5; seq++) hub.send(statusEvent(seq));
  t.same(await hub.ackedThrough(5), [5], 'a burst sent in one go is acked once, with its highest seq');
  t.same(
    upstream.events('hub-sim-01').map((e) => e.seq),
    [1, 2, 3, 4, 5],
  );
  t.match(upstream.events('hub-sim-01')[0], {
    seq: 1,
    time: '2025-01-15T07:02:03.123Z',
    kind: 'device.status',
    data: { deviceId: 'qr-in', status: 'offline' },
  });
  t.match(upstream.stats('hub-sim-01'), { ackedSeq: 5, events: 5, duplicates: 0, unrecognised: 0 });
  t.match(lines.join('\n'), /hub-sim-01 {2}#3 {2}device.status {2}scanner qr-in offline: cable unplugged/);
  await hub.close();
});

t.test('events() pages through what a hub delivered', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  for (let seq = 1; seq <= 10; seq++) hub.send(statusEvent(seq));
  await hub.ackedThrough(10);
  t.same(
    upstream.events('hub-test-01', 4, 3).map((e) => e.seq),
    [5, 6, 7],
  );
  t.same(upstream.events('no-such-hub'), []);
  await hub.close();
});

t.test('a duplicate id is not stored twice, but is counted and acknowledged', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  const first = statusEvent(1);
  hub.send(first);
  await hub.ackedThrough(1);
  const duplicate = once(upstream, 'duplicate');
  hub.send(first);
  t.same(await hub.next('ack'), { type: 'ack', seq: 1 });
  t.match((await duplicate)[0], { hubId: 'hub-test-01', event: { id: first.id } });
  t.equal(upstream.events('hub-test-01').length, 1);
  t.match(upstream.stats('hub-test-01'), { events: 1, duplicates: 1, ackedSeq: 1 });
  t.match(lines.join('\n'), new RegExp(`#1 {2}device.status {2}duplicate of id ${first.id}`));
  await hub.close();
});

t.test('an id already stored is dropped even when it comes back under another seq', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  const first = statusEvent(1);
  hub.send(first);
  await hub.ackedThrough(1);
  const duplicate = once(upstream, 'duplicate');
  hub.send({ ...first, seq: 2 });
  await duplicate;
  t.equal(upstream.events('hub-test-01').length, 1, 'stored once');
  t.match(upstream.stats('hub-test-01'), { events: 1, duplicates: 1 });
  await hub.close();
});

t.test('after a restart on the same database the welcome reports what was stored', async (t) => {
  const first = await startTestUpstream(t);
  const { hub } = await helloHub(first.upstream.url, 'hub-sim-01');
  for (let seq = 1; seq <= 7; seq++) hub.send(statusEvent(seq));
  await hub.ackedThrough(7);
  const second = await first.restart();
  const { hub: again, ackedSeq } = await helloHub(second.upstream.url, 'hub-sim-01');
  t.equal(ackedSeq, 7);
  t.match(second.upstream.stats('hub-sim-01'), { ackedSeq: 7, events: 7, connections: 1 });
  t.match(second.lines.join('\n'), /resuming after #7/);
  const other = await connectHub(second.upstream.url);
  t.equal(await other.hello('hub-other'), 0, 'each hub has its own ackedSeq');
  await again.close();
  await other.close();
});

t.test('a seq that jumps forward after an outbox.gap event is accepted', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  hub.send(statusEvent(1));
  hub.send({
    type: 'event',
    seq: 502,
    id: 'e0c5bc38-3b8e-4f59-9d6b-1d8a7a7d0001',
    time: '2025-01-15T07:05:00.000Z',
    kind: 'outbox.gap',
    data: {
      fromSeq: 2,
      toSeq: 501,
      count: 500,
      oldestTime: '2025-01-15T07:02:03.123Z',
      newestTime: '2025-01-15T07:04:00.000Z',
    },
  });
  hub.send(statusEvent(503));
  await hub.ackedThrough(503);
  t.same(
    upstream.events('hub-test-01').map((e) => e.seq),
    [1, 502, 503],
  );
  t.match(lines.join('\n'), /#502 {2}outbox.gap {2}lost seqs 2..501 \(500 events/);
  await hub.close();
});

t.test('an event of an unknown kind is stored and acked but flagged as unrecognised', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  const stored = once(upstream, 'event');
  hub.send({ ...statusEvent(1), kind: 'door.chime', data: { volume: 3 } });
  t.same(await hub.next('ack'), { type: 'ack', seq: 1 });
  t.match((await stored)[0], { problem: 'unknown kind', event: { kind: 'door.chime' } });
  t.match(upstream.stats('hub-test-01'), { events: 1, unrecognised: 1 });
  t.match(lines.join('\n'), /#1 {2}door.chime {2}unrecognised \(unknown kind\): \{"volume":3\}/);
  await hub.close();
});

t.test('a known kind with data the catalogue rejects is stored and acked but flagged', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  const stored = once(upstream, 'event');
  hub.send({
    ...statusEvent(1),
    data: { deviceId: 'qr-in', deviceKind: 'scanner', status: 'sleepy', reason: '' },
  });
  await hub.next('ack');
  t.match((await stored)[0], { problem: /^data.status: / });
  t.match(lines.join('\n'), /#1 {2}device.status {2}unrecognised \(data.status: /);
  await hub.close();
});

t.test('a new id with a seq that went backwards is kept, with a warning', async (t) => {
  const { upstream, lines } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  hub.send(statusEvent(5));
  await hub.ackedThrough(5);
  hub.send(statusEvent(3));
  t.same(await hub.next('ack'), { type: 'ack', seq: 5 }, 'the ack never goes back');
  t.equal(upstream.stats('hub-test-01').events, 2);
  t.match(lines.join('\n'), /#3 {2}warning: a new id with a seq not after what was stored/);
  await hub.close();
});

t.test('with ackDelayMs the events are stored at once and the ack comes later', async (t) => {
  const { upstream } = await startTestUpstream(t, { ackDelayMs: 150 });
  const { hub } = await helloHub(upstream.url);
  const stored = once(upstream, 'event');
  const sentAt = Date.now();
  hub.send(statusEvent(1));
  await stored;
  t.equal(upstream.stats('hub-test-01').ackedSeq, 1, 'stored before any ack');
  t.same(
    hub.frames.filter((f) => f.type === 'ack'),
    [],
  );
  await hub.ackedThrough(1);
  t.ok(Date.now() - sentAt >= 140, 'the ack waited for the delay');
  await hub.close();
});

t.test('a delayed ack is not sent on a connection that closed meanwhile', async (t) => {
  const { upstream } = await startTestUpstream(t, { ackDelayMs: 5000 });
  const { hub } = await helloHub(upstream.url);
  const stored = once(upstream, 'event');
  hub.send(statusEvent(1));
  await stored;
  let acked = false;
  upstream.on('ack', () => {
    acked = true;
  });
  await hub.close();
  await upstream.close();
  t.notOk(acked);
});

t.test('with dropAcks events are stored but never acked, and the next welcome tells the truth', async (t) => {
  const first = await startTestUpstream(t, { dropAcks: true });
  const { hub } = await helloHub(first.upstream.url);
  let acks = 0;
  first.upstream.on('ack', () => acks++);
  for (let seq = 1; seq <= 3; seq++) {
    const stored = once(first.upstream, 'event');
    hub.send(statusEvent(seq));
    await stored;
  }
  t.equal(acks, 0);
  t.same(
    hub.frames.filter((f) => f.type === 'ack'),
    [],
  );
  t.equal(first.upstream.stats('hub-test-01').ackedSeq, 3);
  const { hub: again, ackedSeq } = await helloHub(first.upstream.url);
  t.equal(ackedSeq, 3);
  await again.close();
});

t.test(
  'a hub delivering 20,000 events in a window of 2,000 gets them all stored in one commit per burst',
  async (t) => {
    const { upstream } = await startTestUpstream(t, { print: undefined });
    const { hub } = await helloHub(upstream.url, 'hub-bench');
    const total = 20_000;
    const window = 2000;
    const frames = Array.from({ length: total }, (_, i) => JSON.stringify(statusEvent(i + 1)));
    const started = performance.now();
    let sent = 0;
    let acked = 0;
    let acks = 0;
    while (acked < total) {
      while (sent < total && sent - acked < window) hub.send(frames[sent++] as string);
      acked = (await hub.next('ack')).seq as number;
      acks++;
    }
    const seconds = (performance.now() - started) / 1000;
    const rate = Math.round(total / seconds);
    t.comment(`${rate} events/s over loopback, ${acks} acks`);
    t.ok(acks <= total / 20, 'events that arrive together share a commit and an ack');
    t.match(upstream.stats('hub-bench'), { events: total, ackedSeq: total });
    // The target is 20,000 events/s; on an idle 2-CPU machine this measures about 45,000 with the hub
    // in the same process. Tests share the CPU with other test files, so this only guards against a
    // collapse, such as a commit per event or a random-key index (both land well under 5,000).
    t.ok(rate > 5000, `${rate} events/s`);
    await hub.close();
  },
);
