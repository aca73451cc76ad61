// `store-gateway demo`: the reference upstream and the daemon on the simulated store, as two real
// processes talking over a loopback WebSocket. The upstream's live print shows what arrives; the
// daemon's JSON logs go to a file so the terminal stays readable.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const demoUsage = `Usage: store-gateway demo [--port N] [--data-dir DIR]

Starts the reference upstream on 127.0.0.1:PORT (default 8787) and the daemon on the simulated
store pointed at it. Prints every event as the upstream stores it. Ctrl-C stops both.`;

const exited = (child: ChildProcess) => new Promise<number>((r) => child.on('exit', (code) => r(code ?? 1)));

/** Runs until interrupted; resolves with the exit code. */
export async function runDemo(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void },
): Promise<number> {
  let values: { port?: string; 'data-dir'?: string; help?: boolean };
  try {
    values = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    io.err(`store-gateway demo: ${(err as Error).message}\n\n${demoUsage}`);
    return 2;
  }
  if (values.help) {
    io.out(demoUsage);
    return 0;
  }
  const port = values.port ?? '8787';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    io.err(`store-gateway demo: --port must be a port number from 1 to 65535, not "${port}"`);
    return 2;
  }
  const dataDir = values['data-dir'] ?? join(process.cwd(), '.data', 'demo');
  mkdirSync(dataDir, { recursive: true });
  // The same entry and loader flags this process runs with, built or under a TypeScript loader.
  const self = [...process.execArgv, process.argv[1] as string];
  const logFile = join(dataDir, 'daemon.log');
  const upstreamLogFile = join(dataDir, 'upstream.log');
  io.out(`demo: reference upstream on ws://127.0.0.1:${port}/hub; Ctrl-C stops both`);
  io.out(`demo: logs in ${logFile} and ${upstreamLogFile}`);
  io.out(
    'demo: diagnostics page on http://127.0.0.1:8080: sign in as technician (password demo-technician) or viewer (demo-viewer-only)\n',
  );

  // Own process groups: Ctrl-C reaches only this process, which stops the daemon before the upstream.
  const upstream = spawn(
    process.execPath,
    [...self, 'upstream', '--port', port, '--data-dir', join(dataDir, 'upstream')],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  upstream.stderr.pipe(createWriteStream(upstreamLogFile, { flags: 'a' }));
  const listening = new Promise<void>((resolve) => {
    createInterface({ input: upstream.stdout }).on('line', (line) => {
      io.out(line);
      if (line.includes('listening on')) resolve();
    });
  });
  const upstreamExit = exited(upstream);
  if ((await Promise.race([listening.then(() => 'up'), upstreamExit.then(() => 'down')])) === 'down') {
    io.err(`demo: the upstream did not start (is port ${port} in use? try --port); see ${upstreamLogFile}`);
    return 1;
  }
  const daemon = spawn(process.execPath, [...self, 'run'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: {
      ...process.env,
      STORE_GATEWAY_DATA_DIR: join(dataDir, 'hub'),
      STORE_GATEWAY_UPSTREAM_URL: `ws://127.0.0.1:${port}/hub`,
    },
  });
  const daemonLog = createWriteStream(logFile, { flags: 'a' });
  daemon.stdout.pipe(daemonLog);
  daemon.stderr.pipe(daemonLog);
  const daemonExit = exited(daemon);

  const stop = () => {
    daemon.kill('SIGTERM');
    // The daemon delivers its last events before the upstream goes.
    daemonExit.then(() => upstream.kill('SIGTERM'));
  };
  process.once('exit', () => {
    for (const child of [daemon, upstream]) if (child.exitCode === null) child.kill('SIGKILL');
  });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const first = await Promise.race([upstreamExit.then(() => 'upstream'), daemonExit.then(() => 'daemon')]);
  if (first === 'upstream') {
    io.err(`demo: the upstream stopped unexpectedly; see ${upstreamLogFile}`);
    daemon.kill('SIGTERM');
  } else upstream.kill('SIGTERM');
  const codes = await Promise.all([upstreamExit, daemonExit]);
  return codes.every((c) => c === 0) ? 0 : 1;
}
