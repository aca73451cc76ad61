// What the diagnostics page costs a small hub: the bytes a browser fetches to open it (compressed, as
// served), and the CPU of its live feed while pages plot a busy shelf. The feed is measured with its
// pages' WebSocket clients in the same process, so the number is an upper bound for the hub's share.
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { loadAssets } from '../src/diagnostics/assets.js';
import type { FeedEvent, LiveSources } from '../src/diagnostics/live.js';
import { LogTail } from '../src/diagnostics/log-tail.js';
import { HubMetrics } from '../src/diagnostics/metrics.js';
import { appPage } from '../src/diagnostics/pages.js';
import { DiagnosticsServer } from '../src/diagnostics/server.js';
import { Listeners } from '../src/drivers/listeners.js';
import type { PlateCalibration, ShelfSamples } from '../src/sensing/types.js';
import { systemClock } from '../src/system/clock.js';
import { silentLogger } from '../src/system/log.js';
import { hashPassword } from '../src/system/passwords.js';

const PAGES = 4;
const PLATES = 6;
const RATE_HZ = 80;
const SECONDS = 10;

export interface DiagnosticsCost {
  /** Compressed bytes of the page and everything it loads. */
  pageBytes: number;
  /** CPU of the feed and its pages' clients, share of one core. */
  cpu: number;
  /** Points per second per plate a page received. */
  pointsHz: number;
  pages: number;
}

export async function measureDiagnostics(): Promise<DiagnosticsCost> {
  const { assets } = loadAssets();
  const html = appPage({
    id: 'x',
    csrf: 'x',
    account: 'bench',
    role: 'technician',
    createdAt: 0,
    expiresAt: 0,
  });
  const pageBytes =
    Buffer.byteLength(html) + [...assets.values()].reduce((sum, asset) => sum + asset.gzip.length, 0);

  const weights = new Listeners<ShelfSamples>();
  const calibration: PlateCalibration[] = Array.from({ length: PLATES }, () => ({ slope: 0.01, offset: 0 }));
  const live: LiveSources = {
    status: () => ({ store: { mode: 'open' } }),
    events: (_listener: (event: FeedEvent) => void) => () => {},
    weights: (_shelfId, listener) => weights.add((batch) => listener(batch, calibration)),
    scans: () => () => {},
    logs: new LogTail(),
  };
  const server = new DiagnosticsServer({
    listen: '127.0.0.1:0',
    metrics: new HubMetrics(() => {
      throw new Error('not measured');
    }),
    accounts: [{ name: 'bench', role: 'technician', passwordHash: await hashPassword('bench password 1') }],
    sessionMinutes: 60,
    live,
    command: async () => ({ ok: true }),
    clock: systemClock,
    log: silentLogger(),
  });
  await server.start();
  const base = `http://${server.address}`;
  // A sign-in per page: one sign-in may keep only a few pages open.
  const signIn = async () => {
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=bench&password=bench+password+1',
      redirect: 'manual',
    });
    return (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
  };
  // One after the other: the hub checks two passwords at a time.
  const cookies: string[] = [];
  for (let page = 0; page < PAGES; page++) cookies.push(await signIn());
  let points = 0;
  const sockets = await Promise.all(
    cookies.map(
      (cookie) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://${server.address}/api/live`, { headers: { cookie, origin: base } });
          ws.on('open', () => {
            ws.send(JSON.stringify({ type: 'plot', shelfId: 'shelf-bench' }));
            resolve(ws);
          });
          ws.on('message', (data) => {
            const message = JSON.parse(data.toString()) as { type: string; t?: number[] };
            if (message.type === 'weights') points += message.t?.length ?? 0;
          });
          ws.on('error', reject);
        }),
    ),
  );

  // The boards' batches: every 100 ms, RATE_HZ / 10 samples of every plate.
  const perBatch = RATE_HZ / 10;
  let t0 = Date.now();
  const feed = setInterval(() => {
    const values = new Float32Array(perBatch * PLATES).map((_, i) => 100_000 + (i % 97));
    weights.emit({ t0, rateHz: RATE_HZ, channels: PLATES, values });
    t0 += 100;
  }, 100);
  await new Promise((r) => setTimeout(r, 1000));
  points = 0;
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = process.cpuUsage(cpuBefore);
  const wall = Number(process.hrtime.bigint() - wallBefore) / 1e9;
  const received = points;
  clearInterval(feed);
  for (const ws of sockets) ws.close();
  await server.stop();
  return {
    pageBytes,
    cpu: (cpu.user + cpu.system) / 1e6 / wall,
    pointsHz: received / PAGES / wall,
    pages: PAGES,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const cost = await measureDiagnostics();
  console.log(cost);
}
