// A plate's calibration: grams = (reading - offset) * slope, readings in the board's own unit.
//
// Tare zeroes the plate at its present load: the stable reading becomes the offset, so whatever lies
// on the plate now reads 0 g and only what is added or taken later shows. Span calibration learns the
// slope from a known weight placed on the plate. Both start from stable readings (the sensor's
// `stableReading`), never from single samples.
import type { PlateCalibration } from './types.js';

/** The smallest and largest |slope| accepted: from 1 µg to 1 kg per reading unit. */
export const SLOPE_BOUNDS = { min: 1e-6, max: 1e3 } as const;

/** Grams from one reading. */
export function toGrams(reading: number, c: PlateCalibration): number {
  return (reading - c.offset) * c.slope;
}

/** Why the calibration cannot be used, or undefined when it can. */
export function calibrationProblem(c: PlateCalibration): string | undefined {
  if (!Number.isFinite(c.slope) || c.slope === 0) return `slope ${c.slope} is not a finite, non-zero number`;
  const size = Math.abs(c.slope);
  if (size < SLOPE_BOUNDS.min || size > SLOPE_BOUNDS.max)
    return `slope ${c.slope} is outside ${SLOPE_BOUNDS.min}..${SLOPE_BOUNDS.max} grams per reading unit`;
  if (!Number.isFinite(c.offset)) return `offset ${c.offset} is not a finite number`;
  return undefined;
}

/** Returns the calibration when usable; throws a RangeError saying why otherwise. */
export function checkCalibration(c: PlateCalibration): PlateCalibration {
  const problem = calibrationProblem(c);
  if (problem) throw new RangeError(`bad plate calibration: ${problem}`);
  return c;
}

/** The calibration after a tare: the present stable reading becomes zero, the scale is kept. */
export function tare(c: PlateCalibration, stableReading: number): PlateCalibration {
  if (!Number.isFinite(stableReading)) throw new RangeError(`cannot tare on reading ${stableReading}`);
  return checkCalibration({ slope: c.slope, offset: stableReading });
}

/**
 * The calibration after a span: `knownGrams` placed on the plate moved its stable reading from
 * `emptyReading` to `loadedReading`. The slope comes from the move; the offset moves with it so that
 * the plate still reads what it read before the weight (a span needs no tare first). Throws when the
 * weight did not move the plate or the slope is out of bounds.
 */
export function span(
  c: PlateCalibration,
  emptyReading: number,
  loadedReading: number,
  knownGrams: number,
): PlateCalibration {
  if (!Number.isFinite(knownGrams) || knownGrams <= 0)
    throw new RangeError(`the known weight must be a positive number of grams, not ${knownGrams}`);
  const moved = loadedReading - emptyReading;
  if (!Number.isFinite(moved) || moved === 0)
    throw new RangeError(`the plate did not move when ${knownGrams} g was placed on it`);
  const slope = knownGrams / moved;
  return checkCalibration({ slope, offset: emptyReading - ((emptyReading - c.offset) * c.slope) / slope });
}
