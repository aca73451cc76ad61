// A shelf's sensor from its configuration: the sensing tunables a technician may set, on top of the
// defaults, at the rate its lead board samples.
import type { ShelfConfig } from '../config/schema.js';
import { ShelfSensor } from '../sensing/sensor.js';
import type { PlateCalibration } from '../sensing/types.js';

/** Throws with the reason when the shelf cannot be sensed as configured (e.g. a board too slow). */
export function makeShelfSensor(
  shelf: ShelfConfig,
  calibration: PlateCalibration[],
  rateHz: number,
): ShelfSensor {
  const tunables: { minChangeGrams?: number; capacityGrams?: number } = {};
  if (shelf.sensing?.minChangeGrams !== undefined) tunables.minChangeGrams = shelf.sensing.minChangeGrams;
  if (shelf.sensing?.capacityGrams !== undefined) tunables.capacityGrams = shelf.sensing.capacityGrams;
  return new ShelfSensor({ plates: calibration.length, rateHz, calibration, tunables });
}
