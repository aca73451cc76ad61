import { once } from 'node:events';
import t from 'tap';
import { helloHub, startTestUpstream, statusEvent } from './fixtures/hub.js';

t.test(
  'frames that are not JSON, not objects, of unknown type or missing fields are counted and dropped',
  async (t) => {
    const { upstream, lines } = await startTestUpstream(t);
    const { hub } = await helloHub(upstream.url);
    const reasons: string[] = [];
    upstream.on('invalid', ({ reason }) => reasons.push(reason));
    hub.send('{"type":"event",');
    hub.send('[1,2,3]');
    hub.send('{"seq":1}');
    hub.send({ type: 'subscribe', topic: 'all' });
    hub.send({ ...statusEvent(1), seq: undefined });
    hub.send({ ...statusEvent(1), time: 'yesterday' });
    hub.send({ ...statusEvent(1), data: 'not an object' });
    hub.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    hub.send(statusEvent(1));
    t.same(
      await hub.next('ack'),
      { type: 'ack', seq: 1 },
      'a valid event after them is still stored and acked',
    );
    t.same(reasons, [
      'not JSON',
      'not a JSON object',
      'no "type"',
      'unknown type "subscribe"',
      'bad "event" frame: seq Invalid input: expected number, received undefined',
      reasons[5],
      reasons[6],
      'binary frame',
    ]);
    t.match(reasons[5], /^bad "event" frame: time /);
    t.match(reasons[6], /^bad "event" frame: data /);
    t.match(upstream.stats('hub-test-01'), { invalidFrames: 8, events: 1 });
    t.match(lines.join('\n'), /invalid frame dropped: unknown type "subscribe" \(4 in the last minute\)/);
    t.equal(hub.ws.readyState, hub.ws.OPEN, 'a few bad frames do not cost the connection');
    await hub.close();
  },
);

t.test('a hub that sends more than 20 invalid frames within a minute is closed with 1008', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  for (let i = 0; i < 20; i++) hub.send('garbage');
  hub.send(statusEvent(1));
  t.same(await hub.next('ack'), { type: 'ack', seq: 1 }, 'twenty are tolerated');
  hub.send('one too many');
  t.same(await hub.closed, { code: 1008, reason: 'too many invalid frames' });
  t.equal(upstream.stats('hub-test-01').invalidFrames, 21);
});

t.test('a frame over 1 MiB closes the connection with 1009', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  const invalid = once(upstream, 'invalid');
  hub.send({ ...statusEvent(1), data: { blob: 'x'.repeat(1024 * 1024) } });
  t.equal((await hub.closed).code, 1009);
  t.match((await invalid)[0], { reason: /Max payload size exceeded/ });
  t.equal(upstream.stats('hub-test-01').events, 0);
});

t.test('a frame just under 1 MiB is accepted', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const { hub } = await helloHub(upstream.url);
  hub.send({ ...statusEvent(1), kind: 'big.thing', data: { blob: 'x'.repeat(1000 * 1024) } });
  t.same(await hub.next('ack'), { type: 'ack', seq: 1 });
  await hub.close();
});
