// Feeds a recorded shelf to a ShelfSensor the way a board's driver would, for the evaluation and
// the benchmark.
import type { DatasetShelf } from '../src/recording/datasets.js';
import { ShelfSensor } from '../src/sensing/sensor.js';
import type { SensingTunables } from '../src/sensing/settings.js';
import type { SensorOutput } from '../src/sensing/types.js';

type Recorded = Pick<DatasetShelf, 'plates' | 'rateHz' | 'times' | 'values' | 'calibration'>;

/** Feeds a shelf's samples to a sensor the way a driver would: runs one period apart, at most 32. */
export function runSensor(shelf: Recorded, tunables: Partial<SensingTunables> = {}): SensorOutput[] {
  const sensor = new ShelfSensor({
    plates: shelf.plates,
    rateHz: shelf.rateHz,
    calibration: shelf.calibration,
    tunables,
  });
  const outputs: SensorOutput[] = [];
  const step = 1000 / shelf.rateHz;
  const { times, values, plates } = shelf;
  for (let start = 0; start < times.length; ) {
    let end = start + 1;
    while (
      end < times.length &&
      end - start < 32 &&
      Math.abs((times[end] as number) - (times[start] as number) - (end - start) * step) < step / 4
    )
      end++;
    const t0 = times[start] as number;
    sensor.push(
      { t0, rateHz: shelf.rateHz, channels: plates, values: values.subarray(start * plates, end * plates) },
      outputs,
    );
    start = end;
  }
  return outputs;
}
