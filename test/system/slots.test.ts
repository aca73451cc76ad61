import t from 'tap';
import { Slots } from '../../src/system/slots.js';

t.test('turns are handed out first come, first served, and each given back once', async (t) => {
  const slots = new Slots(2);
  const order: string[] = [];
  const a = await slots.acquire();
  const b = await slots.acquire();
  const c = slots.acquire().then((release) => {
    order.push('c');
    return release;
  });
  const d = slots.acquire().then((release) => {
    order.push('d');
    return release;
  });
  t.same([slots.busy, slots.waiting], [2, 2]);
  a();
  a();
  const releaseC = await c;
  t.same(order, ['c'], 'the first in line, once: a second release of the same turn does nothing');
  b();
  const releaseD = await d;
  t.same(order, ['c', 'd']);
  releaseC();
  releaseD();
  t.same([slots.busy, slots.waiting], [0, 0]);
});

t.test('giving up waiting leaves the queue; an aborted signal gets no turn', async (t) => {
  const slots = new Slots(1);
  const held = await slots.acquire();
  const controller = new AbortController();
  const waiting = slots.acquire(controller.signal);
  controller.abort(new Error('camera closed'));
  await t.rejects(waiting, { message: 'camera closed' });
  t.equal(slots.waiting, 0);
  held();
  t.equal(slots.busy, 0, 'the turn went back to the pool, not to the one who left');
  t.throws(() => slots.acquire(controller.signal), { message: 'camera closed' });
  t.throws(() => new Slots(0), /whole number/);
});
