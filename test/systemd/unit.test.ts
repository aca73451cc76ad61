import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';

const unit = join(import.meta.dirname, '..', '..', 'systemd', 'store-gateway.service');

t.test('the unit file passes systemd-analyze verify', async (t) => {
  const out = execFileSync('systemd-analyze', ['verify', unit], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.equal(out.trim(), '', 'no warnings');
});

t.test(
  'the unit runs the built entry with node, not npm, and does not restart on a bad config',
  async (t) => {
    const text = readFileSync(unit, 'utf8');
    t.match(text, /^ExecStart=\/usr\/bin\/node \/opt\/store-gateway\/dist\/src\/main\.js run$/m);
    t.notMatch(text, /npm/);
    t.match(
      text,
      /^RestartPreventExitStatus=2$/m,
      'exit 2 is a configuration error: restarting would repeat it',
    );
    t.match(text, /^StateDirectory=store-gateway$/m);
    t.match(text, /^Environment=STORE_GATEWAY_DATA_DIR=\/var\/lib\/store-gateway$/m);
  },
);

const systemdDir = join(import.meta.dirname, '..', '..', 'systemd');

t.test('the unit is Type=notify with a watchdog the daemon pings', async (t) => {
  const text = readFileSync(unit, 'utf8');
  t.match(text, /^Type=notify$/m);
  t.match(text, /^NotifyAccess=main$/m, 'only the daemon itself, not a palm bridge, may say it is ready');
  t.match(text, /^WatchdogSec=20s$/m);
  t.match(text, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m, 'systemctl reload is SIGHUP');
});

t.test(
  'the unit is locked down to an exposure of at most 2.0, and every remaining exposure is explained',
  async (t) => {
    const out = execFileSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], {
      encoding: 'utf8',
    });
    const score = Number(/Overall exposure level for store-gateway\.service: ([\d.]+)/.exec(out)?.[1]);
    t.ok(score <= 2.0, `exposure ${score}`);
    const comments = readFileSync(unit, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('#'))
      .join('\n');
    const open = [...out.matchAll(/^✗ (\S+?)=/gm)].map((m) => m[1] as string);
    t.ok(open.length > 0, `${open.length} settings still counted`);
    for (const setting of open)
      t.match(comments, new RegExp(`${setting.split('/')[0]}=`), `${setting}= is explained in a comment`);
    const text = readFileSync(unit, 'utf8');
    t.match(text, /^CapabilityBoundingSet=$/m, 'no capabilities');
    t.match(text, /^DevicePolicy=closed$/m);
    for (const device of ['ttyUSB', 'ttyACM', 'hidraw', 'usb_device', 'gpiochip'])
      t.match(text, new RegExp(`^DeviceAllow=char-${device} rw$`, 'm'), `yet it may open ${device} devices`);
    t.match(text, /^ReadWritePaths=.*\/sys\/class\/gpio/m, 'and write sysfs GPIO');
  },
);

t.test('sysusers and tmpfiles make the user, its groups and the data directory', async (t) => {
  const root = t.testdir({
    etc: { passwd: '', group: 'dialout:x:20:\n', shadow: '', gshadow: '' },
    var: { lib: {} },
  });
  execFileSync('systemd-sysusers', [`--root=${root}`, join(systemdDir, 'store-gateway.sysusers.conf')]);
  const passwd = readFileSync(join(root, 'etc', 'passwd'), 'utf8');
  const group = readFileSync(join(root, 'etc', 'group'), 'utf8');
  t.match(passwd, /^store-gateway:x:\d+:\d+:.*:\/var\/lib\/store-gateway:\/usr\/sbin\/nologin$/m);
  t.match(group, /^dialout:x:20:store-gateway$/m, 'a member of dialout, for the serial adapters');
  t.match(group, /^store-gateway:x:\d+:$/m, 'its own group, for HID scanners and GPIO');
  execFileSync('systemd-tmpfiles', [
    `--root=${root}`,
    '--create',
    join(systemdDir, 'store-gateway.tmpfiles.conf'),
  ]);
  const uid = Number(/^store-gateway:x:(\d+):/m.exec(passwd)?.[1]);
  const data = statSync(join(root, 'var', 'lib', 'store-gateway'));
  t.ok(data.isDirectory());
  t.equal(data.uid, uid, 'owned by the service user');
  t.equal(data.mode & 0o777, 0o750);
});

t.test(
  'the udev rules give the service group the HID scanners and GPIO, and install.sh installs it all',
  async (t) => {
    const rules = readFileSync(join(systemdDir, '70-store-gateway.rules'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'));
    t.ok(rules.length >= 8);
    for (const rule of rules) {
      t.match(rule, /^(KERNEL|SUBSYSTEM)==/, 'each rule matches a device');
      t.match(rule, /GROUP="store-gateway"|chgrp (-R )?store-gateway/, 'and gives it the service group');
    }
    t.ok(rules.some((r) => r.startsWith('KERNEL=="hidraw*"')));
    t.ok(rules.some((r) => r.includes('gpiochip')));
    const install = readFileSync(join(systemdDir, 'install.sh'), 'utf8');
    execFileSync('bash', ['-n', join(systemdDir, 'install.sh')]);
    for (const file of [
      'store-gateway.sysusers.conf',
      'store-gateway.tmpfiles.conf',
      '70-store-gateway.rules',
      'store-gateway.service',
    ])
      t.match(install, new RegExp(`systemd/${file.replace('.', '\\.')}`), `install.sh installs ${file}`);
  },
);
