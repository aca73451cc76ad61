// Where each shelf's calibration survives restarts and re-plugs: one small JSON file per shelf in the
// data directory, replaced atomically (write, fsync, rename) so a power cut leaves the old or the new
// file, never half of one. A file that does not fit the shelf any more is ignored, loudly.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { calibrationProblem } from '../sensing/calibration.js';
import type { PlateCalibration } from '../sensing/types.js';
import { writeFileAtomic } from '../system/atomic-file.js';
import type { Logger } from '../system/log.js';

const fileSchema = z.strictObject({
  version: z.literal(1),
  shelfId: z.string(),
  /** Which board channels the plates were wired to when calibrated; a rewired shelf starts afresh. */
  wiring: z.string(),
  plates: z.array(
    z.strictObject({ slope: z.number(), offset: z.number() }).superRefine((c, ctx) => {
      const problem = calibrationProblem(c);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  ),
  updatedAt: z.string(),
});

export class CalibrationStore {
  readonly #dir: string;
  readonly #log: Logger;

  constructor(dataDir: string, log: Logger) {
    this.#dir = join(dataDir, 'calibration');
    this.#log = log;
  }

  pathOf(shelfId: string): string {
    return join(this.#dir, `${shelfId}.json`);
  }

  /** The saved calibration, or undefined when there is none or it does not fit `plates` and `wiring`. */
  load(shelfId: string, plates: number, wiring: string): PlateCalibration[] | undefined {
    const path = this.pathOf(shelfId);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.#log.warn({ err, shelfId, path }, 'cannot read the shelf calibration; using the defaults');
      return undefined;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.#log.warn({ shelfId, path }, 'the shelf calibration file is not JSON; using the defaults');
      return undefined;
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      this.#log.warn(
        { shelfId, path, problem: parsed.error.issues[0]?.message },
        'ignoring a bad calibration file',
      );
      return undefined;
    }
    const saved = parsed.data;
    if (saved.plates.length !== plates || saved.wiring !== wiring) {
      this.#log.warn(
        { shelfId, path, savedPlates: saved.plates.length, plates },
        'the shelf was rewired since it was calibrated; using the defaults until it is calibrated again',
      );
      return undefined;
    }
    return saved.plates;
  }

  /** Saves atomically; throws with the reason when the disk refuses (the caller reports it). */
  save(shelfId: string, wiring: string, plates: readonly PlateCalibration[], now: Date): void {
    mkdirSync(this.#dir, { recursive: true, mode: 0o750 });
    const path = this.pathOf(shelfId);
    const body = {
      version: 1,
      shelfId,
      wiring,
      plates: plates.map(({ slope, offset }) => ({ slope, offset })),
      updatedAt: now.toISOString(),
    };
    writeFileAtomic(path, `${JSON.stringify(body, null, 2)}\n`);
  }
}
