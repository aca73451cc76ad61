// Runs recorded samples through the daemon's own shelf pipeline (wiring, sensor, machine, item
// inference), on a clock that follows the samples, so a replay decides exactly what the hub would.
import type { ShelfConfig } from '../config/schema.js';
import type { ShelfEmitted } from '../machines/shelf.js';
import { makeShelfSensor } from '../machines/shelf-sensor.js';
import { ShelfStation } from '../machines/shelf-station.js';
import { explainChange, type ItemOptions } from '../sensing/items.js';
import type { Product, SensorOutput } from '../sensing/types.js';
import { FakeClock } from '../system/clock.js';
import type { DatasetShelf } from './datasets.js';

/** One recorded shelf (see DatasetShelf), with the sensing options of the shelf it is replayed as. */
export interface ReplayShelf extends DatasetShelf {
  sensing?: ShelfConfig['sensing'];
}

export interface ReplayedEvent {
  shelfId: string;
  event: ShelfEmitted;
  /** Sample time at which the hub decided it. */
  decidedAt: number;
}

/** Longest batch handed to the sensor: a board's driver hands over what arrived every few tens of ms. */
const BATCH_MS = 50;

/** Replays one shelf; returns its events in order, and every sensor decision if `outputs` is given. */
export function replayShelf(
  shelf: ReplayShelf,
  catalogue: ReadonlyMap<string, Product>,
  outputs?: (output: SensorOutput) => void,
): ReplayedEvent[] {
  const n = shelf.times.length;
  const clock = new FakeClock(n > 0 ? (shelf.times[0] as number) : 0);
  const config: ShelfConfig = {
    id: shelf.id,
    driver: 'sim',
    plates: shelf.plates,
    sampleRateHz: shelf.rateHz,
    cameras: [],
    planogram: shelf.planogram,
    sensing: shelf.sensing,
  };
  const options: Partial<ItemOptions> =
    shelf.sensing?.minConfidence === undefined ? {} : { minConfidence: shelf.sensing.minConfidence };
  const station = new ShelfStation({
    shelfId: shelf.id,
    wires: Array.from({ length: shelf.plates }, (_, channel) => ({ board: shelf.id, channel })),
    sensor: makeShelfSensor(config, shelf.calibration, shelf.rateHz),
    explain: (change) => explainChange(change, shelf.planogram, catalogue, options),
    clock,
    save: () => {},
  });
  const events: ReplayedEvent[] = [];
  station.actor.on('shelf', (event) => events.push({ shelfId: shelf.id, event, decidedAt: clock.now() }));
  if (outputs) station.watch((_batch, decided) => decided.forEach(outputs));
  station.actor.start();
  station.actor.send({ type: 'source.up', source: shelf.id });

  const step = 1000 / shelf.rateHz;
  let start = 0;
  while (start < n) {
    // A batch is a run of samples one period apart, as a board delivers them; a gap starts a new one.
    let end = start + 1;
    while (
      end < n &&
      (end - start) * step < BATCH_MS &&
      Math.abs((shelf.times[end] as number) - (shelf.times[start] as number) - (end - start) * step) <
        step / 4
    )
      end++;
    const last = shelf.times[end - 1] as number;
    if (last > clock.now()) clock.advance(last - clock.now());
    station.push({
      boardId: shelf.id,
      t0: shelf.times[start] as number,
      rateHz: shelf.rateHz,
      channels: shelf.plates,
      values: shelf.values.subarray(start * shelf.plates, end * shelf.plates),
    });
    start = end;
  }
  station.actor.send({ type: 'close' });
  return events;
}
