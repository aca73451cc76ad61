// The hub's own recording format: a shelf's samples as the boards sent them, in a CSV a technician can
// open in a spreadsheet and support can replay. Two comment lines carry what is needed to replay it
// the same way (plates, rate, the calibration in force); then one row per sample, time first.
//
//   # store-gateway recording v1
//   # {"shelfId":"shelf-01","plates":2,"rateHz":60,"startedAt":"…","calibration":[{"slope":1,"offset":0},…]}
//   t_ms,plate0,plate1
//   1764000000000.0,512.31,nan

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { calibrationProblem } from '../sensing/calibration.js';
import type { PlateCalibration } from '../sensing/types.js';

export const MAGIC = '# store-gateway recording v1';

const header = z.strictObject({
  shelfId: z.string().min(1),
  plates: z.number().int().min(1).max(64),
  rateHz: z.number().positive().max(1000),
  startedAt: z.string(),
  calibration: z.array(
    z.strictObject({ slope: z.number(), offset: z.number() }).superRefine((c, ctx) => {
      const problem = calibrationProblem(c);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  ),
});

export type RecordingHeader = z.output<typeof header>;

/** A recorded shelf: sample i of plate p is values[i * plates + p], taken at times[i]. */
export interface RecordedSamples {
  header: RecordingHeader;
  times: Float64Array;
  values: Float32Array;
}

/** Appends samples to a recording file as they arrive; `close` when done. */
export class RecordingWriter {
  readonly #fd: number;
  readonly #plates: number;
  samples = 0;

  constructor(path: string, h: RecordingHeader) {
    if (h.calibration.length !== h.plates) throw new RangeError('one calibration per plate');
    this.#plates = h.plates;
    this.#fd = openSync(path, 'w', 0o640);
    const columns = Array.from({ length: h.plates }, (_, p) => `plate${p}`).join(',');
    writeSync(this.#fd, `${MAGIC}\n# ${JSON.stringify(h)}\nt_ms,${columns}\n`);
  }

  /** Writes a batch of the shelf's samples (interleaved, `plates` per sample). */
  write(t0: number, rateHz: number, values: Float32Array): void {
    const n = Math.floor(values.length / this.#plates);
    let text = '';
    for (let i = 0; i < n; i++) {
      text += (t0 + (i * 1000) / rateHz).toFixed(1);
      for (let p = 0; p < this.#plates; p++) {
        const v = values[i * this.#plates + p] as number;
        text += Number.isNaN(v) ? ',nan' : `,${Math.round(v * 1000) / 1000}`;
      }
      text += '\n';
    }
    writeSync(this.#fd, text);
    this.samples += n;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Reads a recording; throws an Error naming the file and line of the first problem. */
export function readRecordingFile(path: string): RecordedSamples {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines[0]?.trimEnd() !== MAGIC)
    throw new Error(`${path}:1: not a store-gateway recording (expected "${MAGIC}")`);
  let json: unknown;
  try {
    json = JSON.parse((lines[1] ?? '').replace(/^#\s*/, ''));
  } catch (err) {
    throw new Error(`${path}:2: bad recording header (${(err as Error).message})`);
  }
  const parsed = header.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}:2: bad recording header (${issue?.path.join('.')}: ${issue?.message})`);
  }
  const h: RecordingHeader = parsed.data;
  if (h.calibration.length !== h.plates)
    throw new Error(`${path}:2: ${h.plates} plates but ${h.calibration.length} calibrations`);
  const rows = lines.slice(3).filter((l) => l.trim() !== '');
  const times = new Float64Array(rows.length);
  const values = new Float32Array(rows.length * h.plates);
  rows.forEach((row, i) => {
    const cells = row.split(',');
    if (cells.length !== h.plates + 1)
      throw new Error(`${path}:${i + 4}: expected ${h.plates + 1} values, found ${cells.length}`);
    const t = Number(cells[0]);
    if (!Number.isFinite(t) || (i > 0 && t < (times[i - 1] as number)))
      throw new Error(`${path}:${i + 4}: time "${cells[0]}" is not a number after the previous one`);
    times[i] = t;
    for (let p = 0; p < h.plates; p++) {
      const cell = (cells[p + 1] as string).trim();
      const v = cell === 'nan' ? Number.NaN : Number(cell);
      if (cell === '' || (!Number.isFinite(v) && cell !== 'nan'))
        throw new Error(`${path}:${i + 4}: plate ${p} value "${cell}" is not a number or nan`);
      values[i * h.plates + p] = v;
    }
  });
  return { header: h, times, values };
}

/** The default calibration: readings already in grams. */
export function identityCalibration(plates: number): PlateCalibration[] {
  return Array.from({ length: plates }, () => ({ slope: 1, offset: 0 }));
}
