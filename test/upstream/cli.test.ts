import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runUpstreamCommand, usage } from '../../src/upstream/command.js';
import { connectHub, refusal, startTestUpstream, statusEvent } from './fixtures/hub.js';

const devToken = 'dev-only-token-not-a-secret';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  let err = '';
  const code = await runUpstreamCommand(argv, env, { stdout: (l) => out.push(l), stderr: (e) => (err += e) });
  return { code, out: out.join('\n'), err };
}

t.test('an unknown flag is refused with exit 2 and a clear message on stderr', async (t) => {
  const { code, err } = await run(['--prot', '9000']);
  t.equal(code, 2);
  t.match(err, /^store-gateway upstream: Unknown option '--prot'/);
  t.match(err, /Try 'store-gateway upstream --help'/);
});

t.test('a stray argument is refused with exit 2', async (t) => {
  t.equal((await run(['serve'])).code, 2);
});

t.test('bad numbers for --port and --ack-delay-ms are refused with exit 2', async (t) => {
  t.match(await run(['--port', '99999']), {
    code: 2,
    err: /--port must be a whole number from 0 to 65535, not "99999"/,
  });
  t.match(await run(['--port', 'http']), { code: 2 });
  t.match(await run(['--ack-delay-ms', '1.5']), { code: 2, err: /--ack-delay-ms must be a whole number/ });
  t.match(await run(['--port']), { code: 2, err: /argument missing/ });
});

t.test('--help prints the usage and exits 0', async (t) => {
  const { code, out } = await run(['--help']);
  t.equal(code, 0);
  t.equal(out, usage.trimEnd());
  t.match(out, /--token-file FILE/);
});

t.test(
  'a token file that cannot be read, or holds no usable token, is refused with exit 2 without quoting it',
  async (t) => {
    const dir = t.testdir({ empty: '\n', spaced: 'two words secret\n' });
    t.match(await run(['--token-file', join(dir, 'missing')]), {
      code: 2,
      err: /cannot read --token-file .*missing \(ENOENT\)/,
    });
    t.match(await run(['--token-file', join(dir, 'empty')]), { code: 2, err: /is empty/ });
    const spaced = await run(['--token-file', join(dir, 'spaced')]);
    t.match(spaced, { code: 2, err: /must be printable ASCII without spaces/ });
    t.notMatch(spaced.err, /secret/);
  },
);

t.test('a data dir that cannot be created is refused with exit 2', async (t) => {
  const dir = t.testdir({ file: 'x' });
  const res = await run(['--data-dir', join(dir, 'file', 'sub')], { STORE_GATEWAY_UPSTREAM_TOKEN: 'tok' });
  t.match(res, { code: 2, err: /cannot create --data-dir/ });
});

t.test('a port already in use makes it exit 1 and say so', async (t) => {
  const { upstream } = await startTestUpstream(t);
  const dir = t.testdir();
  const res = await run(['--port', String(upstream.port), '--data-dir', dir, '--quiet'], {
    STORE_GATEWAY_UPSTREAM_TOKEN: 'tok',
  });
  t.match(res, { code: 1, err: /cannot start: .*EADDRINUSE/ });
});

const fixture = fileURLToPath(new URL('./fixtures/run-upstream.ts', import.meta.url));

/** Starts the CLI as its own process; resolves once it listens, with the URL it reports. */
async function spawnUpstream(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [...process.execArgv, fixture, ...args], {
    env: { ...process.env, STORE_GATEWAY_UPSTREAM_TOKEN: undefined, ...env },
  }) as ChildProcessWithoutNullStreams;
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const url = await new Promise<string>((resolve, reject) => {
    const seen = (line: string) => {
      const m = /listening on (ws:\/\/\S+)|"url":"(ws:\/\/[^"]+)"/.exec(line);
      if (m) resolve((m[1] ?? m[2]) as string);
    };
    createInterface({ input: child.stdout }).on('line', (l) => {
      stdout.push(l);
      seen(l);
    });
    createInterface({ input: child.stderr }).on('line', (l) => {
      stderr.push(l);
      seen(l);
    });
    exited.then(([code]) => reject(new Error(`exited with ${code}: ${stderr.join('\n')}`)));
  });
  return { child, url, stdout, stderr, exited };
}

t.test(
  'without a token it runs on the development token, warns, prints live lines and stops on SIGTERM with 0',
  async (t) => {
    const dir = t.testdir();
    const up = await spawnUpstream(['--port', '0', '--data-dir', dir], {});
    const hub = await connectHub(up.url, { token: devToken });
    await hub.hello('hub-sim-01');
    hub.send(statusEvent(1));
    t.same(await hub.next('ack'), { type: 'ack', seq: 1 });
    up.child.kill('SIGTERM');
    t.same(await up.exited, [0, null]);
    t.same(await hub.closed, { code: 1001, reason: 'upstream shutting down' });
    const out = up.stdout.join('\n');
    t.match(out, /hub-sim-01 {2}#1 {2}device.status {2}scanner qr-in offline: cable unplugged/);
    t.match(out, /upstream {2}closing/);
    t.match(up.stderr.join('\n'), /using the development token/);
    for (const line of up.stderr) t.doesNotThrow(() => JSON.parse(line), 'logs are JSON lines');
    t.notMatch(out + up.stderr.join('\n'), new RegExp(devToken), 'the token itself is printed nowhere');
  },
);

t.test(
  'with --token-file, --deny, --drop-acks and --quiet it behaves accordingly and stops on SIGINT with 0',
  async (t) => {
    const dir = t.testdir({ token: 'file-token-123\n' });
    const up = await spawnUpstream(
      [
        '--port',
        '0',
        '--data-dir',
        dir,
        '--token-file',
        join(dir, 'token'),
        '--deny',
        'qr-a',
        '--deny',
        'qr-b',
        '--drop-acks',
        '--ack-delay-ms',
        '5',
        '--quiet',
      ],
      { STORE_GATEWAY_UPSTREAM_TOKEN: 'env-token-loses' },
    );
    const status = await refusal(connectHub(up.url, { token: 'env-token-loses' }));
    t.equal(status, 401, 'the file wins over the environment');
    const hub = await connectHub(up.url, { token: 'file-token-123' });
    await hub.hello();
    hub.send({
      type: 'request',
      id: 'r1',
      method: 'entry.authorize',
      params: { gateId: 'g', credentialKind: 'qr', credentialRef: 'qr-b' },
    });
    t.match(await hub.next('response'), { result: { allow: false } });
    hub.send(statusEvent(1));
    hub.send({
      type: 'request',
      id: 'r2',
      method: 'entry.authorize',
      params: { gateId: 'g', credentialKind: 'qr', credentialRef: 'qr-c' },
    });
    t.match(await hub.next('response'), { result: { allow: true } });
    up.child.kill('SIGINT');
    t.same(await up.exited, [0, null]);
    t.same(
      hub.frames.filter((f) => f.type === 'ack'),
      [],
      'no ack with --drop-acks',
    );
    t.same(up.stdout, [], '--quiet prints nothing on stdout');
    t.notMatch(up.stderr.join('\n'), /development token|file-token-123|env-token-loses/);
  },
);

t.test('the token can come from STORE_GATEWAY_UPSTREAM_TOKEN', async (t) => {
  const dir = t.testdir();
  writeFileSync(join(dir, 'unused'), '');
  const up = await spawnUpstream(['--port', '0', '--data-dir', dir, '--quiet'], {
    STORE_GATEWAY_UPSTREAM_TOKEN: 'env-token-9',
  });
  const hub = await connectHub(up.url, { token: 'env-token-9' });
  t.equal(await hub.hello(), 0);
  up.child.kill('SIGTERM');
  t.same(await up.exited, [0, null]);
});
