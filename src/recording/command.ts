// `store-gateway record` and `store-gateway replay`: how a technician tunes a shelf and how support
// reproduces a complaint. Record saves a shelf's samples as its boards send them; replay runs any
// recording (the hub's own, or the public datasets' formats) through the daemon's shelf pipeline.
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, type HubConfig, loadConfig } from '../config/load.js';
import type { ShelfConfig } from '../config/schema.js';
import type { DeviceLink } from '../drivers/link.js';
import { openSerialPort } from '../drivers/serial/serialport.js';
import { createBus } from '../drivers/weight/buses.js';
import type { BoardBatch } from '../drivers/weight/port.js';
import { CalibrationStore } from '../machines/calibration-store.js';
import {
  defaultCalibration,
  productsOf,
  shelfRateHz,
  shelfWires,
  wiringFingerprint,
} from '../machines/shelves.js';
import type { Product } from '../sensing/types.js';
import { ShelfWiring } from '../sensing/wiring.js';
import { SimStore } from '../sim/store.js';
import { systemClock } from '../system/clock.js';
import { createLogger } from '../system/log.js';
import { readDataset } from './datasets.js';
import { identityCalibration, RecordingWriter, readRecordingFile } from './file.js';
import { type ReplayedEvent, type ReplayShelf, replayShelf } from './replay.js';

type Out = { out: (s: string) => void; err: (s: string) => void };

/** The longest recording one command makes: a day. */
const MAX_RECORD_SECONDS = 86_400;

export const recordUsage = `Usage: store-gateway record --shelf ID [--config FILE] [--seconds N] [--out FILE]

Saves the shelf's samples, as its boards send them, to FILE (default: ID-<time>.csv) for N seconds
(default 60, at most 86400) or until Ctrl-C. The hub must not be running: the serial ports are its
(systemctl stop store-gateway). FILE replays with "store-gateway replay FILE".`;

export const replayUsage = `Usage: store-gateway replay PATH [--config FILE] [--shelf ID] [--json]

Runs a recording through the hub's shelf pipeline and prints the events it decides, one per line
(--json: the event as the cloud would receive its data). PATH is a file made by "store-gateway
record", or a folder of the AIM3S or AiFi (CPS-IoT 2020) shelf datasets. With --config, a recorded
shelf of the same id takes that file's planogram, catalogue and sensing settings.`;

export async function runRecordCommand(args: string[], env: NodeJS.ProcessEnv, io: Out): Promise<number> {
  const parsed = parseOptions(args, io, recordUsage, {
    shelf: { type: 'string' },
    config: { type: 'string', short: 'c' },
    seconds: { type: 'string' },
    out: { type: 'string', short: 'o' },
  });
  if (typeof parsed === 'number') return parsed;
  const { shelf: shelfId, seconds = '60' } = parsed;
  const duration = Number(seconds);
  // A timer cannot wait longer than about 24.8 days (2^31 ms): it would fire at once. A day is plenty.
  if (!shelfId || !Number.isFinite(duration) || duration <= 0 || duration > MAX_RECORD_SECONDS) {
    io.err(
      `store-gateway record: --shelf is required and --seconds must be a positive number up to ${MAX_RECORD_SECONDS}\n\n${recordUsage}`,
    );
    return 2;
  }
  const config = load(parsed.config ?? env.STORE_GATEWAY_CONFIG, env, io);
  if (!config) return 2;
  const shelf = config.devices.shelves.find((s) => s.id === shelfId);
  if (!shelf) {
    io.err(`store-gateway record: no shelf "${shelfId}" in ${config.configPath}`);
    return 2;
  }
  const log = createLogger('warn');
  const wires = shelfWires(shelf);
  const wiring = new ShelfWiring(wires);
  const calibration =
    new CalibrationStore(config.dataDir, log).load(shelf.id, wires.length, wiringFingerprint(wires)) ??
    defaultCalibration(wires, config);
  const out = parsed.out ?? `${shelf.id}-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`;
  const writer = new RecordingWriter(out, {
    shelfId: shelf.id,
    plates: wires.length,
    rateHz: shelfRateHz(shelf, config),
    startedAt: new Date().toISOString(),
    calibration,
  });
  const onBatch = (batch: BoardBatch) => {
    const samples = wiring.push(batch);
    if (samples) writer.write(samples.t0, samples.rateHz, samples.values);
  };
  const links = linksOf(shelf, config, log);
  try {
    for (const link of links) {
      link.onData(onBatch);
      await link.open();
    }
  } catch (err) {
    io.err(`store-gateway record: ${(err as Error).message}`);
    for (const link of links) await link.close();
    writer.close();
    return 1;
  }
  io.out(`recording ${shelf.id} (${wires.length} plates) to ${out} for ${duration} s; Ctrl-C stops earlier`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, duration * 1000);
    process.once('SIGINT', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  for (const link of links) await link.close();
  writer.close();
  io.out(`${writer.samples} samples written to ${out}`);
  return 0;
}

/** The links that carry a shelf's samples: its simulated shelf, or the serial buses of its boards. */
function linksOf(shelf: ShelfConfig, config: HubConfig, log: ReturnType<typeof createLogger>) {
  const links: DeviceLink<BoardBatch>[] = [];
  if (shelf.driver === 'sim') {
    const store = new SimStore(config.devices, config.sim, systemClock, log);
    const link = store.shelf(shelf.id);
    links.push({
      open: async () => {
        await link.open();
        store.start();
      },
      close: async () => store.stop(),
      onData: (listener) => link.onData((batch) => listener({ ...batch, boardId: shelf.id })),
      onLost: (listener) => link.onLost(listener),
    });
    return links;
  }
  const boards = new Set((shelf.wiring ?? []).map((w) => w.board));
  for (const bus of config.devices.buses)
    if (bus.boards.some((b) => boards.has(b.id)))
      links.push(createBus(bus, config.boardProfiles, openSerialPort, systemClock, log));
  return links;
}

export async function runReplayCommand(args: string[], env: NodeJS.ProcessEnv, io: Out): Promise<number> {
  const parsed = parseOptions(args, io, replayUsage, {
    config: { type: 'string', short: 'c' },
    shelf: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (typeof parsed === 'number') return parsed;
  const path = parsed.positionals[0];
  if (!path || parsed.positionals.length > 1) {
    io.err(replayUsage);
    return 2;
  }
  const config = parsed.config ? load(parsed.config, env, io) : undefined;
  if (parsed.config && !config) return 2;
  let source: { shelves: ReplayShelf[]; catalogue: Product[] };
  try {
    source = replaySource(path);
  } catch (err) {
    io.err(`store-gateway replay: ${(err as Error).message}`);
    return 1;
  }
  const catalogue = new Map(source.catalogue.map((p) => [p.sku, p]));
  if (config) for (const [sku, product] of productsOf(config.catalogue.products)) catalogue.set(sku, product);
  const shelves = source.shelves.filter((s) => !parsed.shelf || s.id === parsed.shelf);
  if (shelves.length === 0) {
    io.err(`store-gateway replay: no shelf "${parsed.shelf}" in ${path}`);
    return 2;
  }
  let count = 0;
  for (const recorded of shelves) {
    const configured = config?.devices.shelves.find((s) => s.id === recorded.id);
    const shelf = configured
      ? { ...recorded, planogram: configured.planogram, sensing: configured.sensing }
      : recorded;
    let events: ReturnType<typeof replayShelf>;
    try {
      events = replayShelf(shelf, catalogue);
    } catch (err) {
      io.err(`store-gateway replay: ${shelf.id}: ${(err as Error).message}`);
      return 1;
    }
    for (const e of events) {
      count++;
      io.out(
        parsed.json ? JSON.stringify({ kind: e.event.kind, data: e.event.data }) : describe(e, catalogue),
      );
    }
  }
  if (!parsed.json)
    io.out(`${count} event${count === 1 ? '' : 's'} from ${shelves.length} shelf recording(s)`);
  return 0;
}

function replaySource(path: string): { shelves: ReplayShelf[]; catalogue: Product[] } {
  if (statSync(path).isDirectory()) {
    const dataset = readDataset(path);
    return {
      catalogue: dataset.catalogue,
      shelves: dataset.shelves,
    };
  }
  const { header, times, values } = readRecordingFile(path);
  return {
    shelves: [
      {
        id: header.shelfId,
        plates: header.plates,
        rateHz: header.rateHz,
        times,
        values,
        calibration: header.calibration.length ? header.calibration : identityCalibration(header.plates),
        planogram: [],
      },
    ],
    catalogue: [],
  };
}

/** One line a technician reads: when, which shelf, what, how much, which items. */
function describe(e: ReplayedEvent, catalogue: ReadonlyMap<string, Product>): string {
  const { kind, data } = e.event;
  const time = data.startedAt.slice(11, 23);
  const head = `${time}  ${data.shelfId}  ${kind.padEnd(13)} ${data.deltaGrams.toFixed(1).padStart(8)} g  plates ${data.plates.join(',')}`;
  const settled = `settled ${data.settledAt?.slice(11, 23) ?? '?'}, decided +${Math.round(e.decidedAt - Date.parse(data.settledAt ?? data.startedAt))} ms`;
  if (kind === 'shelf.anomaly') return `${head}  ${settled}  ${data.reason}`;
  const items = data.items
    .map((i) => `${i.qty} × ${catalogue.get(i.sku)?.name ?? i.sku} (${i.probability.toFixed(2)})`)
    .join(' + ');
  return `${head}  ${settled}  ${items} [confidence ${data.confidence.toFixed(2)}]`;
}

function load(file: string | undefined, env: NodeJS.ProcessEnv, io: Out): HubConfig | undefined {
  if (!file) {
    io.err('store-gateway: --config FILE (or STORE_GATEWAY_CONFIG) is required');
    return undefined;
  }
  try {
    // Offline tools: the upstream token is neither needed nor read.
    return loadConfig(file, env, { token: false });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) io.err(problem.startsWith(file) ? problem : `${file}: ${problem}`);
    return undefined;
  }
}

type Options = Record<string, { type: 'string' | 'boolean'; short?: string }>;

interface Parsed {
  shelf?: string;
  config?: string;
  seconds?: string;
  out?: string;
  json?: boolean;
  positionals: string[];
}

function parseOptions(args: string[], io: Out, usage: string, options: Options): Parsed | number {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) {
      io.out(usage);
      return 0;
    }
    return { ...(values as Omit<Parsed, 'positionals'>), positionals };
  } catch (err) {
    io.err(`store-gateway: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }
}
