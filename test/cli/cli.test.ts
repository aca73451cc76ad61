import { join } from 'node:path';
import t from 'tap';
import { main, version } from '../../src/main.js';

const root = join(import.meta.dirname, '..', '..');

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, env, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

t.test('--help and --version answer and exit 0', async (t) => {
  const help = await cli(['--help']);
  t.equal(help.code, 0);
  t.match(help.out, /store-gateway run \[--config FILE\]/);
  t.match(help.out, /STORE_GATEWAY_UPSTREAM_TOKEN/);
  t.same(await cli(['--version']), { code: 0, out: version, err: '' });
  t.match((await cli(['run', '--help'])).out, /Usage: store-gateway run/);
  t.match((await cli(['check-config', '--help'])).out, /Usage: store-gateway check-config/);
  t.match((await cli(['demo', '--help'])).out, /Usage: store-gateway demo/);
  for (const command of ['run', 'check-config', 'upstream', 'demo'])
    t.same(await cli([command, '--version']), { code: 0, out: version, err: '' }, `${command} --version`);
});

t.test('no command or an unknown one is a usage error', async (t) => {
  t.equal((await cli([])).code, 2);
  const unknown = await cli(['fly']);
  t.equal(unknown.code, 2);
  t.match(unknown.err, /unknown command "fly"/);
  const badFlag = await cli(['run', '--colour', 'red']);
  t.equal(badFlag.code, 2);
  t.match(badFlag.err, /Unknown option '--colour'/);
  t.equal((await cli(['run', 'extra'])).code, 2);
  t.equal((await cli(['demo', '--port', 'eighty'])).code, 2);
  t.equal((await cli(['demo', '--port', '0'])).code, 2, 'the daemon could not follow an ephemeral port');
  t.equal((await cli(['check-config'])).code, 2, 'check-config needs a file');
});

t.test('check-config says valid and exits 0 for a good file', async (t) => {
  const r = await cli(['check-config', join(root, 'configs', 'simulated-store.yaml')]);
  t.equal(r.code, 0);
  t.match(r.out, /valid \(hub hub-sim-01, store store-sim; 2 gates, 2 scanners, 3 shelves, 3 cameras\)/);
});

t.test('check-config prints one line per problem, prefixed with the file, and exits 2', async (t) => {
  const dir = t.testdir({
    'bad.yaml': 'hub: { id: "has space", storeId: s, extra: 1 }\nupstream: { url: "ftp://x" }\n',
  });
  const file = join(dir, 'bad.yaml');
  const r = await cli(['check-config', file]);
  t.equal(r.code, 2);
  const lines = r.err.split('\n');
  t.ok(lines.length >= 3, 'several problems, several lines');
  t.ok(
    lines.every((l) => l.startsWith(`${file}: `)),
    'each line names the file',
  );
  t.match(r.err, /hub\.id: an id of letters/);
  t.match(r.err, /hub\.extra: unknown key/);
  t.match(r.err, /upstream\.url: a ws:\/\/ or wss:\/\/ URL/);
});

t.test('check-config counts one device of a kind in the singular', async (t) => {
  const dir = t.testdir({
    token: 'x',
    'one.yaml': `hub: { id: h, storeId: s }
upstream: { url: "ws://x", tokenFile: token }
devices:
  gates: [{ id: g, role: entry, driver: sim, profile: gate-swing }]
  shelves: [{ id: sh, driver: sim }]
sim: {}
`,
  });
  t.match(
    (await cli(['check-config', join(dir, 'one.yaml')])).out,
    /1 gate, 0 scanners, 1 shelf, 0 cameras\)$/,
  );
});

t.test('run refuses a data directory it cannot create with exit 1 and a clear line', async (t) => {
  const dir = t.testdir({ blocker: 'a file where a directory should be' });
  const r = await cli(['run'], {
    STORE_GATEWAY_DATA_DIR: join(dir, 'blocker', 'hub'),
    STORE_GATEWAY_UPSTREAM_TOKEN: 'x',
  });
  t.equal(r.code, 1);
  t.match(r.err, /blocker\/hub: cannot create the data directory \(ENOTDIR\)/);
});

t.test('run refuses a bad configuration with exit 2 before touching anything', async (t) => {
  const r = await cli(['run', '--config', join(t.testdir(), 'missing.yaml')]);
  t.equal(r.code, 2);
  t.match(r.err, /cannot read the file \(ENOENT\)/);
});
