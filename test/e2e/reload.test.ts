// `systemctl reload` is SIGHUP to the real daemon: a file with a problem changes nothing and the
// daemon runs on; a change to the store's rules is in force at once; a change to the devices is
// refused until a restart, with the section named.
import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { startDaemon, until, writeBusyStore } from '../helpers/daemon.js';

t.test('SIGHUP reloads what can change live and says what cannot', async (t) => {
  const dir = t.testdir();
  const file = writeBusyStore(dir, 'ws://127.0.0.1:9/hub');
  const original = readFileSync(file, 'utf8').replace('log: { level: warn }', 'log: { level: info }');
  writeFileSync(file, original);
  const daemon = startDaemon(['run', '--config', file]);
  t.teardown(() => daemon.child.kill('SIGKILL'));
  await until(
    () => daemon.output().includes('"part":"devices"') || daemon.output().includes('started'),
    30_000,
    `the daemon up: ${daemon.output()}`,
  );
  await new Promise((r) => setTimeout(r, 500));

  writeFileSync(file, `${original}\nstore: { criticalDevices: [no-such-device] }\n`);
  daemon.child.kill('SIGHUP');
  await until(() => daemon.output().includes('configuration not reloaded'), 10_000, 'the refusal');
  t.match(daemon.output(), /no device \\"no-such-device\\" in devices/, 'the problem is named');
  t.equal(daemon.child.exitCode, null, 'and the daemon runs on');

  writeFileSync(file, `${original}\nstore: { criticalDevices: [g1], warmUpSeconds: 0 }\n`);
  daemon.child.kill('SIGHUP');
  await until(() => daemon.output().includes('store now in force'), 10_000, 'the store rules applied');

  writeFileSync(
    file,
    `${original.replace('sh2', 'sh3')}\nstore: { criticalDevices: [g1], warmUpSeconds: 0 }\n`,
  );
  daemon.child.kill('SIGHUP');
  await until(() => daemon.output().includes('need a restart'), 10_000, 'the device change refused');
  t.match(daemon.output(), /devices changed but need a restart/);

  daemon.child.kill('SIGTERM');
  t.equal((await daemon.exited).code, 0, 'it stops cleanly after all that');
});
