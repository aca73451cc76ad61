// The whole daemon on a simulated store of 2,000 plates (250 shelves of 8 at 60 Hz), shoppers at
// them, faults off, events delivered to the reference upstream on loopback: the built daemon runs as
// a child process, and its CPU (utime + stime from /proc, simulation included) and peak RSS are read
// once it has warmed up. The issue asks for under 15 % of one core and under 200 MB.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { silentLogger } from '../src/system/log.js';
import { Secret } from '../src/system/secret.js';
import { startUpstream } from '../src/upstream/server.js';

const SHELVES = 250;
const PLATES = 8;
const RATE_HZ = 60;

export interface DaemonShelvesOptions {
  /** A scratch directory; the config, the hub's data and its log go there. */
  dir: string;
  warmUpSeconds?: number;
  measureSeconds?: number;
  /** Mean time between two shoppers anywhere in the store. */
  shoppersEverySeconds?: number;
}

export interface DaemonShelvesFootprint {
  plates: number;
  /** Share of one core, 0-1, over the measured window. */
  cpu: number;
  /** Peak resident set (VmHWM) over the whole run, MB. */
  peakRssMb: number;
  /** Resident set at the end, MB. */
  rssMb: number;
  /** Shelf events the upstream stored during the measured window, by kind. */
  shelfEvents: Record<string, number>;
  /** Whether the daemon was still running when measured (a crash would make the numbers meaningless). */
  alive: boolean;
}

/** The 2,000-plate store: 250 shelves of 8 plates, a lane of one, two or three plates per product, 24 products in turn. */
export function storeConfig(
  dataDir: string,
  upstreamUrl: string,
  shoppersEverySeconds: number,
): Record<string, unknown> {
  const products = Array.from({ length: 24 }, (_, i) => ({
    sku: `sku-${String(i).padStart(2, '0')}`,
    name: `product ${i}`,
    // 45 g to about 1.6 kg, spread apart enough that units of one are never taken for another.
    grams: Math.round(45 * 1.17 ** i),
  }));
  const lanes = [[0], [1, 2], [3], [4, 5, 6], [7]];
  const shelves = Array.from({ length: SHELVES }, (_, s) => ({
    id: `shelf-${String(s).padStart(3, '0')}`,
    driver: 'sim',
    plates: PLATES,
    sampleRateHz: RATE_HZ,
    planogram: lanes.map((plates, k) => ({
      sku: products[(s * lanes.length + k) % products.length]?.sku,
      plates,
    })),
  }));
  return {
    hub: { id: 'hub-bench-2000', storeId: 'store-bench' },
    dataDir,
    upstream: { url: upstreamUrl },
    outbox: { maxEvents: 2_000_000, commitIntervalMs: 2 },
    log: { level: 'info' },
    devices: { shelves },
    catalogue: { products },
    sim: { seed: 7, faultEverySeconds: 0, shoppersEverySeconds, plateFaults: false },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the built daemon on the 2,000-plate store and measures it; see the file's head. */
export async function measureDaemonShelves(opts: DaemonShelvesOptions): Promise<DaemonShelvesFootprint> {
  const { dir, warmUpSeconds = 10, measureSeconds = 20, shoppersEverySeconds = 1 } = opts;
  mkdirSync(dir, { recursive: true });
  const token = new Secret('bench-token');
  const upstream = await startUpstream({
    port: 0,
    tokens: [token],
    dbPath: join(dir, 'upstream.db'),
    log: silentLogger(),
  });
  const configPath = join(dir, 'store-2000-plates.yaml');
  // JSON is YAML too.
  writeFileSync(
    configPath,
    JSON.stringify(storeConfig(join(dir, 'hub'), upstream.url, shoppersEverySeconds)),
  );
  const main = fileURLToPath(new URL('../src/main.js', import.meta.url));
  const logFile = openSync(join(dir, 'daemon.log'), 'w');
  const daemon = spawn(process.execPath, [main, 'run', '--config', configPath], {
    stdio: ['ignore', logFile, logFile],
    env: { ...process.env, STORE_GATEWAY_UPSTREAM_TOKEN: token.reveal() },
  });
  closeSync(logFile);
  let exited = false;
  const gone = new Promise((r) => daemon.on('exit', r)).then(() => {
    exited = true;
  });
  const pid = daemon.pid as number;
  const proc = (file: string) => readFileSync(`/proc/${pid}/${file}`, 'utf8');
  const ticks = () => {
    const fields = proc('stat').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]);
  };
  const statusKb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(proc('status'))?.[1]);
  const shelfEvents: Record<string, number> = {};
  try {
    await sleep(warmUpSeconds * 1000);
    if (exited) throw new Error(`the daemon exited during warm-up; see ${join(dir, 'daemon.log')}`);
    const seqBefore = upstream.stats('hub-bench-2000').ackedSeq;
    const t0 = ticks();
    const wall0 = process.hrtime.bigint();
    await sleep(measureSeconds * 1000);
    const alive = !exited;
    const cpu = alive ? (ticks() - t0) / 100 / (Number(process.hrtime.bigint() - wall0) / 1e9) : Number.NaN;
    const peakRssMb = alive ? statusKb('VmHWM') / 1024 : Number.NaN;
    const rssMb = alive ? statusKb('VmRSS') / 1024 : Number.NaN;
    for (let after = seqBefore; ; ) {
      const page = upstream.events('hub-bench-2000', after, 1000);
      for (const e of page)
        if (e.kind.startsWith('shelf.')) shelfEvents[e.kind] = (shelfEvents[e.kind] ?? 0) + 1;
      const last = page.at(-1);
      if (!last) break;
      after = last.seq;
    }
    return { plates: SHELVES * PLATES, cpu, peakRssMb, rssMb, shelfEvents, alive };
  } finally {
    if (!exited) daemon.kill('SIGTERM');
    await gone;
    await upstream.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = mkdtempSync(join(tmpdir(), 'store-gateway-daemon-bench-'));
  try {
    const f = await measureDaemonShelves({ dir, measureSeconds: Number(process.argv[2] ?? 20) });
    process.stdout.write(`${JSON.stringify(f)}\n`);
  } finally {
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    else process.stdout.write(`kept ${dir}\n`);
  }
}
