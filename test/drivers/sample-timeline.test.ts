// Sample times from the board's sequence numbers: even spacing whatever the arrival jitter, gaps for
// lost lines, a fresh start when the board restarts, never a sample from the future.
import t from 'tap';
import { SampleTimeline } from '../../src/drivers/weight/sample-timeline.js';

const T0 = Date.UTC(2025, 0, 1);

t.test('the first chunk anchors its last line at its arrival; the others follow at the rate', async (t) => {
  const line = new SampleTimeline(80);
  const positions = [100, 101, 102].map((seq) => line.next(seq));
  t.equal(line.settle(positions[2] as number, T0), 'anchored');
  t.same(
    positions.map((p) => line.time(p)),
    [T0 - 25, T0 - 12.5, T0],
  );
});

t.test('arrival jitter does not move sample times', async (t) => {
  const line = new SampleTimeline(100);
  line.settle(line.next(0), T0);
  // Lines 1..3 arrive together 40 ms later, late by 10 ms: their times stay 10 ms apart from line 0.
  let last = 0;
  for (const seq of [1, 2, 3]) last = line.next(seq);
  t.equal(line.settle(last, T0 + 40), 'kept');
  t.equal(line.time(last), T0 + 30);
  t.equal(line.lost, 0);
  t.equal(line.broke, false);
});

t.test('a forward jump counts the lost lines and leaves a gap in time', async (t) => {
  const line = new SampleTimeline(10);
  line.settle(line.next(5), T0);
  const position = line.next(9);
  t.equal(line.lost, 3);
  t.equal(line.broke, false);
  line.settle(position, T0 + 400);
  t.equal(line.time(position), T0 + 400);
});

t.test('the counter wraps from 4294967295 to 0 without a gap', async (t) => {
  const line = new SampleTimeline(10);
  const a = line.next(4294967294);
  line.settle(a, T0);
  const b = line.next(4294967295);
  const c = line.next(0);
  const d = line.next(2);
  t.same([b - a, c - b, d - c], [1, 1, 2]);
  t.equal(line.lost, 1);
  t.equal(line.broke, false);
});

t.test(
  'a backwards jump, a repeat or a jump of over 10 s worth is a restart: re-anchored on arrival',
  async (t) => {
    for (const [name, seq] of [
      ['backwards', 3],
      ['repeat', 1000],
      ['too far', 1000 + 10 * 50 + 1],
    ] as const) {
      const line = new SampleTimeline(50);
      line.settle(line.next(1000), T0);
      const position = line.next(seq);
      t.equal(line.broke, true, name);
      t.equal(line.lost, 0, `${name}: nothing counted as lost`);
      t.equal(line.settle(position, T0 + 7000), 'restarted', name);
      t.equal(line.time(position), T0 + 7000, name);
    }
    const line = new SampleTimeline(50);
    line.settle(line.next(1000), T0);
    line.next(1000 + 10 * 50);
    t.equal(line.broke, false, 'exactly 10 s worth is still loss');
    t.equal(line.lost, 499);
  },
);

t.test('a fast board clock never places a sample after its arrival', async (t) => {
  // The board claims 100 Hz but sends 101 lines a second.
  const line = new SampleTimeline(100);
  line.settle(line.next(0), T0);
  for (let s = 1; s <= 101 * 30; s++) {
    const position = line.next(s);
    const arrival = T0 + Math.floor((s * 1000) / 101);
    line.settle(position, arrival);
    if (line.time(position) > arrival) {
      t.fail(`sample ${s} placed after its arrival`);
      return;
    }
  }
  t.pass('30 s of lines, none from the future');
});

t.test('a slow board clock is re-timed once its samples lag their arrival by over a second', async (t) => {
  // The board claims 100 Hz but sends 98 lines a second: 20 ms lag per second.
  const line = new SampleTimeline(100);
  line.settle(line.next(0), T0);
  const outcomes: string[] = [];
  let worst = 0;
  for (let s = 1; s <= 98 * 120; s++) {
    const position = line.next(s);
    const arrival = T0 + (s * 1000) / 98;
    const how = line.settle(position, arrival);
    if (how !== 'kept') outcomes.push(how);
    worst = Math.max(worst, arrival - line.time(position));
  }
  t.same(outcomes, ['caught-up', 'caught-up'], 'about every 50 s');
  t.ok(worst <= 1000, `lag stays within a second (worst ${worst} ms)`);
});

t.test('a line delayed when it anchored is corrected by a later, faster one', async (t) => {
  const line = new SampleTimeline(10);
  line.settle(line.next(0), T0 + 80); // arrived 80 ms late
  const position = line.next(1);
  line.settle(position, T0 + 100); // on time
  t.equal(line.time(position), T0 + 100);
  t.equal(line.time(position - 1), T0, 'the anchor slid back to the true time');
});

t.test('reset forgets the anchor and the last seq', async (t) => {
  const line = new SampleTimeline(10);
  line.settle(line.next(5), T0);
  line.reset();
  const position = line.next(2);
  t.equal(line.broke, false, 'a new session is not a restart');
  t.equal(line.settle(position, T0 + 5000), 'anchored');
  t.equal(line.time(position), T0 + 5000);
});

t.test('before the first settle there is no time', async (t) => {
  const line = new SampleTimeline(10);
  t.ok(Number.isNaN(line.time(line.next(1))));
});

t.test('limits can be tightened', async (t) => {
  const line = new SampleTimeline(10, { maxGapMs: 1000, maxLagMs: 200 });
  line.settle(line.next(0), T0);
  line.next(11);
  t.equal(line.broke, true, 'over 1 s worth is a restart');
  const other = new SampleTimeline(10, { maxGapMs: 1000, maxLagMs: 200 });
  other.settle(other.next(0), T0);
  t.equal(other.settle(other.next(1), T0 + 350), 'caught-up');
});
