// `npm run bench`: throughput of the delivery path and the daemon's idle footprint, printed as rates
// and sizes with the targets beside them. Numbers, not assertions: the machines are noisy.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Outbox } from '../src/outbox/outbox.js';
import { silentLogger } from '../src/system/log.js';
import { Secret } from '../src/system/secret.js';
import { Uplink } from '../src/uplink/uplink.js';
import { startUpstream } from '../src/upstream/server.js';

const hub = { hubId: 'hub-bench', storeId: 'store-bench' };
const token = new Secret('bench-token');
const log = silentLogger();
const work = mkdtempSync(join(tmpdir(), 'store-gateway-bench-'));
const results: { name: string; value: number; unit: string; target: string; ok: boolean }[] = [];

function report(name: string, value: number, unit: string, target: string, ok: boolean): void {
  results.push({ name, value, unit, target, ok });
  const shown = value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
  process.stdout.write(
    `${name.padEnd(52)} ${shown.padStart(12)} ${unit.padEnd(9)} target ${target} ${ok ? 'ok' : 'MISSED'}\n`,
  );
}

const statusEvent = (i: number) =>
  ({ deviceId: `scanner-${i % 16}`, deviceKind: 'scanner', status: 'online', reason: 'bench' }) as const;

function openOutbox(name: string): Outbox {
  return Outbox.open({ path: join(work, name), hub, maxEvents: 10_000_000, commitIntervalMs: 2, log });
}

/** Events per second made durable, emitted in bursts the way a busy store produces them. */
async function outboxCommitRate(): Promise<void> {
  const outbox = openOutbox('commit.db');
  const total = 200_000;
  const burst = 1000;
  const start = process.hrtime.bigint();
  for (let sent = 0; sent < total; sent += burst) {
    await Promise.all(
      Array.from({ length: burst }, (_, i) => outbox.emit('device.status', statusEvent(sent + i))),
    );
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  outbox.close();
  report(
    'outbox: events committed per second (group commit)',
    total / seconds,
    'events/s',
    '>= 20,000',
    total / seconds >= 20_000,
  );
}

/** Events per second drained from a backlog of 100,000 to the reference upstream over loopback. */
async function drainRate(): Promise<void> {
  const outbox = openOutbox('drain.db');
  const backlog = 100_000;
  for (let sent = 0; sent < backlog; sent += 5000) {
    await Promise.all(
      Array.from({ length: 5000 }, (_, i) => outbox.emit('device.status', statusEvent(sent + i))),
    );
  }
  const upstream = await startUpstream({ port: 0, tokens: [token], dbPath: join(work, 'upstream.db'), log });
  const uplink = new Uplink({
    url: upstream.url,
    token,
    hub,
    version: 'bench',
    source: outbox,
    settings: {
      maxInFlight: 2000,
      maxBufferedBytes: 1024 * 1024,
      maxFrameBytes: 1024 * 1024,
      pingIntervalMs: 5000,
      helloTimeoutMs: 10_000,
      requestTimeoutMs: 3000,
      reconnectMinMs: 500,
      reconnectMaxMs: 30_000,
      rejectedRetryMs: 60_000,
    },
    log,
  });
  const start = process.hrtime.bigint();
  uplink.start();
  while (uplink.ackedSeq < backlog) await new Promise((r) => setTimeout(r, 5));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await uplink.stop();
  await upstream.close();
  outbox.close();
  report(
    'uplink: backlog of 100,000 drained per second',
    backlog / seconds,
    'events/s',
    '>= 20,000',
    backlog / seconds >= 20_000,
  );
}

/** CPU and RSS of the daemon on the simulated store once it has settled, with the upstream connected. */
async function idleFootprint(): Promise<void> {
  const upstream = await startUpstream({
    port: 0,
    tokens: [token],
    dbPath: join(work, 'idle-upstream.db'),
    log,
  });
  const main = fileURLToPath(new URL('../src/main.js', import.meta.url));
  const daemon = spawn(process.execPath, [main, 'run'], {
    stdio: 'ignore',
    env: {
      ...process.env,
      STORE_GATEWAY_DATA_DIR: join(work, 'idle-hub'),
      STORE_GATEWAY_UPSTREAM_URL: upstream.url,
      STORE_GATEWAY_UPSTREAM_TOKEN: token.reveal(),
    },
  });
  const pid = daemon.pid as number;
  const ticks = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]);
  };
  await new Promise((r) => setTimeout(r, 5000));
  const t0 = ticks();
  const window = 10;
  await new Promise((r) => setTimeout(r, window * 1000));
  const cpu = (ticks() - t0) / 100 / window;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.on('exit', r));
  await upstream.close();
  report('daemon idle on the simulated store: CPU', cpu * 100, '% core', '(reported)', true);
  report('daemon idle on the simulated store: RSS', rssKb / 1024, 'MB', '< 120', rssKb / 1024 < 120);
}

try {
  await outboxCommitRate();
  await drainRate();
  await idleFootprint();
} finally {
  rmSync(work, { recursive: true, force: true });
}
const missed = results.filter((r) => !r.ok);
process.stdout.write(missed.length ? `\n${missed.length} target(s) missed\n` : '\nall targets met\n');
