import { createServer } from 'node:net';
import t from 'tap';
import { startDaemon, until } from '../helpers/daemon.js';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

t.test(
  "the demo shows events arriving upstream, a simulated shopper's trip among them, and Ctrl-C stops the daemon before the upstream",
  async (t) => {
    const dir = t.testdir();
    const port = await freePort();
    const demo = startDaemon(['demo', '--port', String(port), '--data-dir', dir]);
    await until(
      () => /#\d+ {2}device\.status {2}shelf shelf-b1 online/.test(demo.output()),
      30_000,
      'device events printed',
    );
    t.match(
      demo.output(),
      /hub-sim-01 {2}#1 {2}hub\.started {2}version \d+\.\d+\.\d+, previous stop none, 10 devices/,
    );
    // The simulated shoppers come to the entry every 12 s or so; the first is through well within a minute.
    const started = /#\d+ {2}trip\.started {2}trip (\S+) at gate gate-in, (?:qr|palm), party of \d+$/m;
    await until(() => started.test(demo.output()), 60_000, 'a trip started');
    const tripId = demo.output().match(started)?.[1] as string;
    const entered = new RegExp(`#\\d+ {2}shopper\\.entered {2}trip ${tripId} entered at gate gate-in$`, 'm');
    await until(() => entered.test(demo.output()), 30_000, 'the first shopper of that trip entered');
    demo.child.kill('SIGINT');
    const { code } = await demo.exited;
    t.equal(code, 0, 'both stopped cleanly');
    t.match(
      demo.output(),
      /#\d+ {2}hub\.stopping {2}SIGTERM[\s\S]*upstream {2}closing/,
      'hub.stopping arrived before the upstream closed',
    );
  },
);

t.test('the demo says so when its port is taken', async (t) => {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  t.teardown(() => server.close());
  const { port } = server.address() as { port: number };
  const demo = startDaemon(['demo', '--port', String(port), '--data-dir', t.testdir()]);
  const { code } = await demo.exited;
  t.equal(code, 1);
  t.match(demo.output(), new RegExp(`the upstream did not start \\(is port ${port} in use\\? try --port\\)`));
});
