import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Outbox, OutboxError } from '../../src/outbox/outbox.js';
import { silentLogger } from '../../src/system/log.js';

const hub = { hubId: 'hub-t', storeId: 'store-t' };
const open = (path: string, extra: Partial<Parameters<typeof Outbox.open>[0]> = {}) =>
  Outbox.open({ path, hub, maxEvents: 10_000, commitIntervalMs: 1, log: silentLogger(), ...extra });
const status = (n: number) => ({
  deviceId: `d${n}`,
  deviceKind: 'scanner' as const,
  status: 'online' as const,
  reason: 'ok',
});

t.test('a burst of events is committed together with consecutive seqs', async (t) => {
  const outbox = open(join(t.testdir(), 'o.db'));
  t.teardown(() => outbox.close());
  let commits = 0;
  outbox.onCommit(() => commits++);
  const envelopes = await Promise.all(
    Array.from({ length: 500 }, (_, i) => outbox.emit('device.status', status(i))),
  );
  t.same(
    envelopes.map((e) => e.seq),
    Array.from({ length: 500 }, (_, i) => i + 1),
  );
  t.equal(commits, 1, 'one transaction for the burst');
  t.equal(outbox.depth, 500);
  const read = outbox.readAfter(498, 10);
  t.same(
    read.map((e) => [e.seq, e.kind, (e.data as { deviceId: string }).deviceId, e.hubId]),
    [
      [499, 'device.status', 'd498', 'hub-t'],
      [500, 'device.status', 'd499', 'hub-t'],
    ],
  );
});

t.test('the seq counter survives a restart and the previous stop is reported', async (t) => {
  const path = join(t.testdir(), 'o.db');
  const first = open(path);
  t.equal(first.previousStop, 'none');
  await first.emit('hub.stopping', { reason: 'test' });
  await first.emit('hub.stopping', { reason: 'test' });
  first.ack(2);
  first.close();
  const second = open(path);
  t.equal(second.previousStop, 'clean');
  t.equal(second.depth, 0, 'acknowledged events were deleted');
  const next = await second.emit('hub.stopping', { reason: 'test' });
  t.equal(next.seq, 3, 'numbering goes on after acknowledged and deleted events');
  second.flush();
  // Not closed: the next open must count this as a crash.
  const third = open(path);
  t.equal(third.previousStop, 'crash');
  t.equal(third.lastSeq, 3);
  third.close();
  second.close();
});

t.test('a hub killed with SIGKILL mid-burst never reuses a seq it reported as committed', async (t) => {
  const path = join(t.testdir(), 'o.db');
  const writer = join(import.meta.dirname, '..', 'helpers', 'outbox-writer.ts');
  for (let round = 0; round < 3; round++) {
    const child = spawn(process.execPath, [...process.execArgv, writer, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let highest = 0;
    let buffered = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) highest = Math.max(highest, Number(line));
        if (highest > 2000 * (round + 1)) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    const outbox = open(path);
    t.equal(outbox.previousStop, 'crash', 'a killed writer counts as a crash');
    t.ok(
      outbox.lastSeq >= highest,
      `round ${round}: last seq ${outbox.lastSeq} covers every reported seq ${highest}`,
    );
    const rows = outbox.readAfter(0, 1_000_000);
    t.equal(rows.length, outbox.lastSeq, 'no seq is missing');
    t.ok(
      rows.every((r, i) => r.seq === i + 1),
      'seqs are 1..N without a hole or repeat',
    );
    outbox.close();
  }
});

t.test('acknowledged events are deleted and are not read again', async (t) => {
  const outbox = open(join(t.testdir(), 'o.db'));
  t.teardown(() => outbox.close());
  await Promise.all([1, 2, 3, 4].map((n) => outbox.emit('device.status', status(n))));
  outbox.ack(3);
  outbox.ack(2);
  t.equal(outbox.ackedSeq, 3, 'an older ack does not move the mark back');
  outbox.flush();
  t.equal(outbox.depth, 1);
  t.same(
    outbox.readAfter(0, 10).map((e) => e.seq),
    [4],
  );
});

t.test(
  'when the cloud stays away the oldest events are evicted and the gap is reported as an event',
  async (t) => {
    const outbox = open(join(t.testdir(), 'o.db'), { maxEvents: 100 });
    t.teardown(() => outbox.close());
    for (let i = 0; i < 150; i++) await outbox.emit('device.status', status(i));
    t.ok(outbox.depth <= 100, `depth ${outbox.depth} stays within the bound`);
    const kept = outbox.readAfter(0, 1000);
    const gaps = kept.filter((e) => e.kind === 'outbox.gap');
    t.ok(gaps.length >= 1, 'a gap event was emitted');
    const gap = gaps[0]?.data as { fromSeq: number; toSeq: number; count: number };
    t.equal(gap.fromSeq, 1, 'the oldest events went first');
    t.equal(gap.count, gap.toSeq - gap.fromSeq + 1);
    t.ok(
      kept.every((e) => e.seq > gap.toSeq),
      'nothing older than the gap is kept',
    );
    const seqs = kept.map((e) => e.seq);
    t.same(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'what is kept is still in order',
    );
  },
);

t.test(
  'a full disk gives a clear error, loses nothing already committed, and the outbox recovers',
  async (t) => {
    const outbox = open(join(t.testdir(), 'o.db'), { maxFileBytes: 64 * 1024, maxEvents: 1_000_000 });
    t.teardown(() => outbox.close());
    const big = { reason: 'x'.repeat(2000) };
    let error: unknown;
    let committed = 0;
    for (let i = 0; i < 200 && !error; i++) {
      try {
        await outbox.emit('hub.stopping', big);
        committed++;
      } catch (err) {
        error = err;
      }
    }
    t.type(error, OutboxError);
    t.equal((error as OutboxError).code, 'disk_full');
    t.match((error as Error).message, /disk is full.*free space/);
    t.equal(outbox.depth, committed, 'every event committed before the disk filled is still there');
    outbox.ack(outbox.lastSeq);
    await t.rejects(
      outbox.emit('hub.stopping', big),
      { code: 'disk_full' },
      'still full while the batch fails',
    );
    t.equal(outbox.depth, 0, 'but the acknowledged events were deleted on their own, freeing their pages');
    const after = await outbox.emit('hub.stopping', { reason: 'space is back' });
    t.equal(after.seq, committed + 1, 'numbering continues without reusing the failed seqs');
    t.equal(outbox.depth, 1);
  },
);

t.test('a corrupt or unreadable outbox file is refused with a clear error', async (t) => {
  const dir = t.testdir();
  const garbage = join(dir, 'garbage.db');
  writeFileSync(garbage, 'this is not an SQLite database, it is a shopping list: milk, eggs'.repeat(100));
  t.throws(() => open(garbage), {
    name: 'OutboxError',
    code: 'corrupt',
    message: /corrupt.*move the file aside/,
  });
  t.throws(() => open(join(dir, 'missing', 'dir', 'o.db')), { name: 'OutboxError', code: 'unreadable' });
});

t.test(
  'when the cloud is ahead of a restored outbox, unsent events move past what the cloud has seen',
  async (t) => {
    const path = join(t.testdir(), 'o.db');
    const outbox = open(path);
    await outbox.emit('hub.stopping', { reason: 'a' });
    await outbox.emit('hub.stopping', { reason: 'b' });
    outbox.skipTo(40);
    t.same(
      outbox.readAfter(40, 10).map((e) => [e.seq, (e.data as { reason: string }).reason]),
      [
        [41, 'a'],
        [42, 'b'],
      ],
      'events recorded before the welcome are kept, renumbered in order',
    );
    t.equal((await outbox.emit('hub.stopping', { reason: 'c' })).seq, 43);
    outbox.skipTo(10);
    t.equal((await outbox.emit('hub.stopping', { reason: 'd' })).seq, 44, 'a lower mark changes nothing');
    outbox.ack(42);
    outbox.close();
    const again = open(path);
    t.same(
      again.readAfter(0, 10).map((e) => e.seq),
      [43, 44],
    );
    t.equal((await again.emit('hub.stopping', { reason: 'e' })).seq, 45);
    again.skipTo(100);
    t.same(
      again.readAfter(0, 10).map((e) => e.seq),
      [101, 102, 103],
    );
    again.close();
    const empty = open(join(t.testdir(), 'empty.db'));
    empty.skipTo(7);
    t.equal((await empty.emit('hub.stopping', { reason: 'f' })).seq, 8, 'an empty outbox just numbers on');
    empty.close();
  },
);

t.test('a listener that throws does not undo or hide a commit', async (t) => {
  const outbox = open(join(t.testdir(), 'o.db'));
  t.teardown(() => outbox.close());
  outbox.onCommit(() => {
    throw new Error('listener bug');
  });
  const e = await outbox.emit('hub.stopping', { reason: 'x' });
  t.equal(e.seq, 1);
  t.equal(outbox.depth, 1);
});

t.test('an emit after close is refused', async (t) => {
  const outbox = open(join(t.testdir(), 'o.db'));
  outbox.close();
  outbox.close();
  await t.rejects(outbox.emit('hub.stopping', { reason: 'late' }), { code: 'closed' });
});
