import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
