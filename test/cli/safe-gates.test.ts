// `store-gateway safe-gates`, what systemd runs after the daemon stopped for any reason: every real
// gate's outputs at their profile's safe levels, the lines left driven.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadGatesOnly } from '../../src/config/gates.js';
import { main } from '../../src/main.js';
import { runSafeGatesCommand, safeGates } from '../../src/safe-gates.js';
import { fakeBoard, pi4Sysfs } from '../helpers/fake-onoff.js';
import type { TestContext } from '../helpers/tap-types.js';

function hub(t: TestContext) {
  const dir = t.testdir({ sysfs: pi4Sysfs });
  const file = join(dir, 'store.yaml');
  writeFileSync(
    file,
    `hub: { id: h, storeId: s }
upstream: { url: "ws://127.0.0.1:1/hub" }
devices:
  gates:
    - id: door-in
      role: entry
      driver: onoff
      profile: gate-door
      lines: { unlock: 17, red: 22, beamOuter: 5, beamInner: 6 }
    - id: turnstile-in
      role: entry
      driver: onoff
      profile: gate-turnstile
      lines: { unlock: 23, green: 24, beamOuter: 12, beamInner: 16 }
    - { id: sim-out, role: exit, driver: sim, profile: gate-swing }
sim: {}
`,
  );
  return { file, root: join(dir, 'sysfs') };
}

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) } };
};

t.test(
  'a fail-safe door is released and a fail-secure turnstile locked, lights off, lines left driven',
  async (t) => {
    const { file, root } = hub(t);
    const board = fakeBoard();
    const o = io();
    const safe = await safeGates(loadGatesOnly(file).gates, o.io, {
      root,
      loadOnoff: async () => board.module,
    });
    t.equal(safe, true);
    // Pi 4 on kernel 6.6: line 17 is sysfs 529. The door's unlock is active-low: its relay at rest
    // drops the maglock. The turnstile's relay board pulls in on low.
    t.equal(board.gpio(512 + 17).wire, 0, 'the maglock released (fail-safe): its relay at rest');
    t.equal(board.gpio(512 + 22).wire, 0, 'the red light off');
    t.equal(
      board.gpio(512 + 23).wire,
      1,
      "the turnstile's active-low relay not pulled in: locked (fail-secure)",
    );
    t.equal(board.gpio(512 + 24).wire, 1, 'its green light off (active-low)');
    t.ok(board.gpio(512 + 17).exported, 'left exported, so the kernel keeps driving the level');
    t.same(o.out, [
      'door-in: safe (safe): unlock=1 red=0',
      'turnstile-in: safe (secure): unlock=0 green=0',
      'sim-out: simulated; nothing to do',
    ]);
  },
);

t.test('a gate that cannot be reached is reported NOT SAFE and the exit code says so', async (t) => {
  const { file, root } = hub(t);
  const board = fakeBoard();
  board.accessible = false;
  const o = io();
  const code = await runSafeGatesCommand(['--config', file], {}, o.io, {
    root,
    loadOnoff: async () => board.module,
  });
  t.equal(code, 1);
  t.match(o.err[0], /^door-in: NOT SAFE: /);
  t.equal(o.err.length, 2, 'every gate is tried');
});

t.test('usage: --help, a missing config, a bad config', async (t) => {
  const help = io();
  t.equal(await main(['safe-gates', '--help'], {}, help.io), 0);
  t.match(help.out[0], /ExecStopPost|safe level/);
  const none = io();
  t.equal(await main(['safe-gates'], {}, none.io), 2);
  t.match(none.err[0], /needs --config/);
  const missing = io();
  t.equal(await main(['safe-gates', '--config', '/nowhere/store.yaml'], {}, missing.io), 1);
  t.match(missing.err[0], /NOT SAFE: .*ENOENT/);
  const typo = io();
  t.equal(await main(['safe-gates', '--bogus'], {}, typo.io), 2);
});

t.test('the rest of the file being wrong does not keep the gates from their safe state', async (t) => {
  const { file, root } = hub(t);
  // A broken catalogue and no upstream token: the daemon would refuse this file; safe-gates must not.
  writeFileSync(file, `${readFileSync(file, 'utf8')}catalogue: { file: nowhere.yaml }\n`);
  const board = fakeBoard();
  const o = io();
  const code = await runSafeGatesCommand(['--config', file], {}, o.io, {
    root,
    loadOnoff: async () => board.module,
  });
  t.equal(code, 0);
  t.equal(board.gpio(512 + 17).wire, 0, 'the door released');
});

t.test('one gate that cannot be read is NOT SAFE; the others are still made safe', async (t) => {
  const dir = t.testdir({ sysfs: pi4Sysfs });
  const file = join(dir, 'store.yaml');
  writeFileSync(
    file,
    `devices:
  gates:
    - { id: broken, role: entry, driver: onoff, profile: no-such-model, lines: { unlock: 4, beamOuter: 5, beamInner: 6 } }
    - { id: door, role: exit, driver: onoff, profile: gate-door, lines: { unlock: 17, beamOuter: 12, beamInner: 13 } }
    - { id: typo, role: sideways }
`,
  );
  const board = fakeBoard();
  const o = io();
  const code = await runSafeGatesCommand(['--config', file], {}, o.io, {
    root: join(dir, 'sysfs'),
    loadOnoff: async () => board.module,
  });
  t.equal(code, 1);
  t.match(o.err, [/devices\.gates\[0\]\.profile: cannot read .*no-such-model/, /devices\.gates\[2\]: /]);
  t.equal(board.gpio(512 + 17).wire, 0, 'the door released all the same');
});

t.test(
  'a file that is not a configuration is NOT SAFE; one without gates says there is nothing to do',
  async (t) => {
    const dir = t.testdir({
      'junk.yaml': 'just some words',
      'odd.yaml': 'devices: { gates: 7 }\n',
      'none.yaml': 'hub: { id: h, storeId: s }\n',
    });
    const run = async (name: string) => {
      const o = io();
      const code = await runSafeGatesCommand(['--config', join(dir, name)], {}, o.io);
      return { code, out: o.out, err: o.err };
    };
    const junk = await run('junk.yaml');
    t.equal(junk.code, 1);
    t.match(junk.err[0], /NOT SAFE: .*expected a mapping of keys at the top level/);
    const odd = await run('odd.yaml');
    t.equal(odd.code, 1);
    t.match(odd.err[0], /NOT SAFE: devices\.gates: expected a list of gates/);
    const none = await run('none.yaml');
    t.equal(none.code, 0);
    t.match(none.out[0], /no gates configured; nothing to do/);
  },
);
