// How soon a pick is known: items lifted off a simulated 12-plate shelf (one to three plates, 50 g to
// 3 kg), run through a whole shelf station (wiring, sensor, machine, item inference) on a fake clock.
// "Physically stable" comes from the sim's own physics: a change rings with the weight moved as its
// amplitude, decaying as exp(-t / settleTauMs); the plate is stable once that envelope is below its
// noise, and the shelf once every changed plate is. AIM3S waits 500 ms after that; the issue, 300 ms.
// Then, in real time, how soon the shelf machine's event is durable in an outbox on disk.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SimShelf } from '../src/drivers/weight/sim.js';
import { defaultPhysics } from '../src/drivers/weight/sim-physics.js';
import type { EventData } from '../src/events/catalogue.js';
import { createShelfActor } from '../src/machines/shelf.js';
import { ShelfStation } from '../src/machines/shelf-station.js';
import { Outbox } from '../src/outbox/outbox.js';
import { explainChange } from '../src/sensing/items.js';
import { ShelfSensor } from '../src/sensing/sensor.js';
import type { PlanogramEntry, Product, ShelfChange } from '../src/sensing/types.js';
import { FakeClock, systemClock } from '../src/system/clock.js';
import { silentLogger } from '../src/system/log.js';
import { Random } from '../src/system/random.js';

const PLATES = 12;
/** Between two moves: the longest ringing (3 kg on a quiet plate) is far below the noise by then. */
const SPACING_MS = 5000;

const products: Product[] = [
  { sku: 'snickers-50', grams: 52, spreadGrams: 1 },
  { sku: 'milka-100', grams: 104, spreadGrams: 1.5 },
  { sku: 'lays-150', grams: 158, spreadGrams: 2.5 },
  { sku: 'pringles-165', grams: 222, spreadGrams: 3 },
  { sku: 'cola-330', grams: 355, spreadGrams: 3 },
  { sku: 'nutella-350', grams: 512, spreadGrams: 5 },
  { sku: 'volvic-1500', grams: 1548, spreadGrams: 10 },
  { sku: 'detergent-3l', grams: 3050, spreadGrams: 20 },
];
/** Lanes of one to three plates, so changes span one, two or three plates. */
const planogram: PlanogramEntry[] = [
  { sku: 'snickers-50', plates: [0] },
  { sku: 'milka-100', plates: [1, 2] },
  { sku: 'lays-150', plates: [3] },
  { sku: 'pringles-165', plates: [4, 5] },
  { sku: 'cola-330', plates: [6] },
  { sku: 'nutella-350', plates: [7] },
  { sku: 'volvic-1500', plates: [8, 9] },
  { sku: 'detergent-3l', plates: [9, 10, 11] },
];
const catalogue = new Map(products.map((p) => [p.sku, p]));

export interface DetectionLatency {
  rateHz: number;
  moves: number;
  /** Moves that became a change (a pick or an anomaly); the rest were not seen at all. */
  detected: number;
  /** decidedAt − physically stable, ms: the sensor's decision, at the time of the sample that made it. */
  decided: { p50: number; max: number };
  /** Hub clock when the shelf machine emitted the event − physically stable, ms: adds the board's batching. */
  emitted: { p50: number; max: number };
  /** The changes decided, for the outbox measurement. */
  changes: ShelfChange[];
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

/** When a plate that moved `grams` has rung down below `noise`, ms after the move. */
function ringsDownAfter(grams: number, noise: number): number {
  const amplitude = Math.abs(grams);
  return amplitude > noise ? defaultPhysics.settleTauMs * Math.log(amplitude / noise) : 0;
}

/** `moves` changes of a simulated shelf at `rateHz`, one every 5 s: items lifted, then put back; see the head. */
export function measureDetectionLatency(rateHz: number, moves = 60, seed = 3): DetectionLatency {
  const clock = new FakeClock();
  const random = new Random(seed);
  const shelfId = `bench-${rateHz}hz`;
  const shelf = new SimShelf({ id: shelfId, plates: PLATES, sampleRateHz: rateHz }, clock, random, {
    baseGrams: Array.from({ length: PLATES }, () => 9000),
  });
  const station = new ShelfStation({
    shelfId,
    wires: Array.from({ length: PLATES }, (_, channel) => ({ board: shelfId, channel })),
    sensor: new ShelfSensor({
      plates: PLATES,
      rateHz,
      calibration: Array.from({ length: PLATES }, () => ({ slope: 1, offset: 0 })),
    }),
    explain: (change) => explainChange(change, planogram, catalogue),
    clock,
    save: () => {},
  });
  const decided: ShelfChange[] = [];
  const trace: string[] = [];
  const emittedAt: number[] = [];
  station.watch((_batch, outputs) => {
    for (const o of outputs) if (o.type === 'change') decided.push(o);
    if (process.env.LAT_DEBUG)
      for (const o of outputs)
        trace.push(`${o.type}@${'at' in o ? o.at : ''}${'plates' in o ? o.plates : ''}`);
  });
  station.actor.on('shelf', () => emittedAt.push(clock.now()));
  station.actor.start();
  shelf.onData((batch) => station.push({ ...batch, boardId: shelfId }));
  void shelf.open();
  // The sensor learns each plate's level and noise first.
  clock.advance(15_000);

  const byDecision: number[] = [];
  const byEmission: number[] = [];
  const changes: ShelfChange[] = [];
  let detected = 0;
  let back: { plates: number[]; split: number[] } | undefined;
  for (let i = 0; i < moves; i++) {
    decided.length = 0;
    trace.length = 0;
    emittedAt.length = 0;
    // Move at a moment that is not a batch boundary, as a hand would.
    clock.advance(random.between(0, 100));
    const movedAt = clock.now();
    let moved: { plates: number[]; split: number[] };
    if (back) {
      // Every other change puts the last item back, so the shelf's load stays where it began.
      moved = back;
      moved.plates.forEach((p, k) => {
        shelf.place(p, moved.split[k] as number);
      });
      back = undefined;
    } else {
      const lane = planogram[(i / 2) % planogram.length] as PlanogramEntry;
      const product = catalogue.get(lane.sku) as Product;
      const units = random.next() < 0.2 ? 2 : 1;
      let grams = 0;
      for (let u = 0; u < units; u++) grams += product.grams + product.spreadGrams * random.gaussian();
      moved = { plates: lane.plates, split: shelf.liftItem(lane.plates, grams) };
      back = moved;
    }
    const stableAt =
      movedAt +
      Math.max(...moved.plates.map((p, k) => ringsDownAfter(moved.split[k] as number, shelf.noiseGrams(p))));
    clock.advance(SPACING_MS);
    const change = decided.at(-1);
    const emitted = emittedAt.at(-1);
    if (!change || emitted === undefined) continue;
    detected++;
    changes.push(change);
    byDecision.push(change.decidedAt - stableAt);
    byEmission.push(emitted - stableAt);
    if (process.env.LAT_DEBUG)
      process.stdout.write(
        `${i} at ${movedAt} plates ${moved.plates} split ${moved.split.map((g) => g.toFixed(0))} noise ${moved.plates.map((p) => shelf.noiseGrams(p).toFixed(2))} stable+${(stableAt - movedAt).toFixed(0)} decided+${(change.decidedAt - movedAt).toFixed(0)} settled+${(change.settledAt - movedAt).toFixed(0)} n=${decided.length}\n  ${trace.join(' ')}\n`,
      );
  }
  station.actor.stop();
  void shelf.close();
  return {
    rateHz,
    moves,
    detected,
    decided: { p50: quantile(byDecision, 0.5), max: Math.max(...byDecision) },
    emitted: { p50: quantile(byEmission, 0.5), max: Math.max(...byEmission) },
    changes,
  };
}

export interface OutboxLatency {
  events: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Real time from the sensor's decision reaching the shelf machine to the event being durable in an
 * outbox on disk (WAL, synchronous FULL, group commit every 2 ms as the default configuration has it):
 * item inference, the machine's transition, and the commit. Decisions come 5-30 ms apart, unaligned
 * with the commit timer.
 */
export async function measureOutboxLatency(changes: ShelfChange[], dir: string): Promise<OutboxLatency> {
  const outbox = Outbox.open({
    path: join(dir, 'shelf-latency.db'),
    hub: { hubId: 'hub-bench', storeId: 'store-bench' },
    maxEvents: 1_000_000,
    commitIntervalMs: 2,
    log: silentLogger(),
  });
  const actor = createShelfActor(
    {
      shelfId: 'bench-shelf',
      sources: ['bench-shelf'],
      clock: systemClock,
      explain: (change) => explainChange(change, planogram, catalogue),
      calibrate: () => Promise.reject(new Error('no calibration in the bench')),
    },
    systemClock,
  );
  let durable: Promise<unknown> = Promise.resolve();
  actor.on('shelf', (e) => {
    durable =
      e.kind === 'shelf.anomaly'
        ? outbox.emit(e.kind, e.data)
        : outbox.emit(e.kind, { ...e.data, coverage: 'full' } as EventData<'shelf.pick'>);
  });
  actor.start();
  const random = new Random(5);
  const ms: number[] = [];
  for (const change of changes) {
    const start = process.hrtime.bigint();
    actor.send({ type: 'sensor', output: change });
    await durable;
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    await new Promise((r) => setTimeout(r, random.between(5, 30)));
  }
  actor.stop();
  outbox.close();
  return { events: ms.length, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), max: Math.max(...ms) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const rate of [10, 20, 40, 60]) {
    const r = measureDetectionLatency(rate, Number(process.argv[2] ?? 60));
    process.stdout.write(
      `${rate} Hz: ${r.detected}/${r.moves} detected; decided − stable p50 ${r.decided.p50.toFixed(0)} ms, ` +
        `max ${r.decided.max.toFixed(0)} ms; emitted − stable p50 ${r.emitted.p50.toFixed(0)} ms, ` +
        `max ${r.emitted.max.toFixed(0)} ms\n`,
    );
  }
}
