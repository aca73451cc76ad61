// What a shelf's sensing can be tuned by, in milliseconds and grams, with defaults that suit load-cell
// shelves as found in stores (checked against two real recordings: see bench/eval-shelves.ts).
import { checkCalibration } from './calibration.js';
import type { PlateCalibration } from './types.js';

export interface SensingTunables {
  /**
   * How long the shelf must stay still to end an activity, ms. The change is decided as soon as this
   * stillness is complete, so at most this long after the shelf is physically still.
   */
  settleMs: number;
  /** The smallest lasting change of a group of adjacent plates that is an event, g (drift and crumbs are less). */
  minChangeGrams: number;
  /** The smallest change of one plate that counts it in a change, g, on top of what its noise allows. */
  minPlateGrams: number;
  /** The smallest move of a plate's level that starts an activity, g, however quiet the plate. */
  activityGrams: number;
  /** How far the level may wander within the settle window and still be still, g, however quiet the plate. */
  stillGrams: number;
  /** Jitter (standard deviation) tolerated while still, g, however quiet the plate: shelves ring when touched nearby. */
  jitterGrams: number;
  /** Readings at or beyond ± this many grams saturate a plate (its rated load). Infinity: no capacity set. */
  capacityGrams: number;
  /** A plate that has had no reading for this long has no signal, ms. */
  noSignalMs: number;
  /** A plate whose reading repeats exactly for this long is stuck (real converters always jitter), ms. */
  stuckMs: number;
  /** A plate whose reading sits at one extreme value this long is saturated, ms. */
  saturationMs: number;
  /** A plate whose jitter stays mostly beyond what stillness tolerates for this long is noisy, ms. */
  noisyMs: number;
}

export const defaultSensing: Readonly<SensingTunables> = Object.freeze({
  settleMs: 300,
  minChangeGrams: 10,
  minPlateGrams: 5,
  activityGrams: 5,
  stillGrams: 2,
  jitterGrams: 6,
  capacityGrams: Number.POSITIVE_INFINITY,
  noSignalMs: 1000,
  stuckMs: 10_000,
  saturationMs: 250,
  noisyMs: 30_000,
});

export interface ShelfSensorSettings {
  plates: number;
  /** The nominal sample rate; samples may still come at their own times. */
  rateHz: number;
  /** One per plate. */
  calibration: readonly PlateCalibration[];
  /** Overrides of the defaults; undefined values keep the default. */
  tunables?: Partial<SensingTunables>;
}

/** The lowest sample rate a shelf can run at: three samples within the settle window. */
export function minimumRateHz(settleMs: number = defaultSensing.settleMs): number {
  return 3000 / settleMs;
}

/** The defaults with the overrides that are set; throws a RangeError naming the first bad value. */
export function resolveTunables(overrides: Partial<SensingTunables> = {}): SensingTunables {
  const t: SensingTunables = { ...defaultSensing };
  for (const key of Object.keys(defaultSensing) as (keyof SensingTunables)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || Number.isNaN(value) || value <= 0)
      throw new RangeError(`sensing ${key} must be a positive number, not ${value}`);
    if (key !== 'capacityGrams' && !Number.isFinite(value))
      throw new RangeError(`sensing ${key} must be finite, not ${value}`);
    t[key] = value;
  }
  if (t.settleMs > 300)
    throw new RangeError(`sensing settleMs is ${t.settleMs}; at most 300 keeps decisions within 300 ms`);
  return t;
}

/** Checks the settings; throws a RangeError naming the first problem. */
export function checkSettings(s: ShelfSensorSettings): SensingTunables {
  if (!Number.isInteger(s.plates) || s.plates < 1 || s.plates > 1024)
    throw new RangeError(`a shelf needs 1 to 1024 plates, not ${s.plates}`);
  if (!Number.isFinite(s.rateHz) || s.rateHz <= 0 || s.rateHz > 10_000)
    throw new RangeError(`rateHz must be in (0, 10000], not ${s.rateHz}`);
  if (s.calibration.length !== s.plates)
    throw new RangeError(`${s.plates} plates need ${s.plates} calibrations, not ${s.calibration.length}`);
  s.calibration.forEach((c, p) => {
    try {
      checkCalibration(c);
    } catch (err) {
      throw new RangeError(`plate ${p}: ${(err as Error).message}`);
    }
  });
  const t = resolveTunables(s.tunables);
  if (s.rateHz < minimumRateHz(t.settleMs))
    throw new RangeError(`sensing settleMs ${t.settleMs} is shorter than 3 samples at ${s.rateHz} Hz`);
  return t;
}
