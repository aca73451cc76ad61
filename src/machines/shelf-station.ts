// A shelf at work: its plates' wiring, its sensor (the hot path, outside the statechart) and its
// machine. Boards' samples go through the wiring into the sensor; only the sensor's decisions reach
// the machine. Tare and span calibration are carried out here, against the sensor's stable readings,
// and saved so they survive restarts and re-plugs.
import type { SampleBatch } from '../drivers/weight/port.js';
import { span, tare } from '../sensing/calibration.js';
import type { BoardSamples, PlateCalibration, SensorOutput, ShelfChange } from '../sensing/types.js';
import { type PlateWire, ShelfWiring } from '../sensing/wiring.js';
import type { Clock } from '../system/clock.js';
import { type CalibrationJob, createShelfActor, type ShelfActor, type ShelfInput } from './shelf.js';

/** What the station needs of the sensor. */
export interface Sensor {
  push(batch: SampleBatch, out: SensorOutput[]): void;
  /** The plate's reading (board units) averaged over its present stable window; undefined while it moves. */
  stableReading(plate: number): number | undefined;
  /** The calibration in force for each plate. */
  calibration(): PlateCalibration[];
  setCalibration(plate: number, calibration: PlateCalibration): void;
}

export interface ShelfStationOptions {
  shelfId: string;
  wires: PlateWire[];
  sensor: Sensor;
  explain: ShelfInput['explain'];
  clock: Clock;
  /** Persists the calibration after a job; throws when it cannot. */
  save: (calibration: PlateCalibration[]) => void;
  /** How long a job waits for the shelf to be still, and for the known weight to be placed. */
  jobTimeoutMs?: number;
}

export class ShelfStation {
  readonly id: string;
  readonly actor: ShelfActor;
  readonly wiring: ShelfWiring;
  readonly #sensor: Sensor;
  readonly #clock: Clock;
  readonly #save: ShelfStationOptions['save'];
  readonly #jobTimeoutMs: number;
  readonly #out: SensorOutput[] = [];
  /** The calibration job under way and what it waits for, for the diagnostics page's wizard. */
  job: { plates: number[]; waitingFor: 'still' | 'weight' | 'settled' } | undefined;
  /** Listeners of every sensor decision and sample batch (calibration jobs, recording). */
  readonly #watchers = new Set<(batch: SampleBatch, outputs: readonly SensorOutput[]) => void>();

  constructor(options: ShelfStationOptions) {
    this.id = options.shelfId;
    this.wiring = new ShelfWiring(options.wires);
    this.#sensor = options.sensor;
    this.#clock = options.clock;
    this.#save = options.save;
    this.#jobTimeoutMs = options.jobTimeoutMs ?? 30_000;
    this.actor = createShelfActor(
      {
        shelfId: options.shelfId,
        sources: [...this.wiring.boards],
        clock: options.clock,
        explain: options.explain,
        calibrate: (job, signal) => this.#run(job, signal),
      },
      options.clock,
    );
  }

  /** Takes a board's samples; the hot path. */
  push(batch: BoardSamples): void {
    const samples = this.wiring.push(batch);
    if (!samples) return;
    const out = this.#out;
    out.length = 0;
    this.#sensor.push(samples, out);
    for (const watcher of this.#watchers) watcher(samples, out);
    for (const output of out) this.actor.send({ type: 'sensor', output });
  }

  /** Hears every batch of the shelf's samples and the decisions they led to; returns the unsubscribe. */
  watch(listener: (batch: SampleBatch, outputs: readonly SensorOutput[]) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }

  calibration(): PlateCalibration[] {
    return this.#sensor.calibration();
  }

  /** Asks the machine to run a job; resolves with the outcome the command reports. */
  calibrate(job: CalibrationJob): Promise<{ ok: boolean; message: string }> {
    const snapshot = this.actor.getSnapshot();
    // A stopped machine drops events: the command would wait for ever.
    if (snapshot.status !== 'active') return Promise.resolve({ ok: false, message: 'the hub is stopping' });
    if (snapshot.context.status === 'offline')
      return Promise.resolve({ ok: false, message: `${this.id} is offline: ${snapshot.context.reason}` });
    return new Promise((resolve) => this.actor.send({ type: 'calibrate', job, reply: resolve }));
  }

  async #run(job: CalibrationJob, signal: AbortSignal): Promise<string> {
    const plates = job.kind === 'tare' ? job.plates : [job.plate];
    try {
      return await this.#steps(job, plates, signal);
    } finally {
      this.job = undefined;
    }
  }

  async #steps(job: CalibrationJob, plates: number[], signal: AbortSignal): Promise<string> {
    for (const p of plates)
      if (!Number.isInteger(p) || p < 0 || p >= this.wiring.plates)
        throw new Error(`${this.id} has plates 0-${this.wiring.plates - 1}, not ${p}`);
    this.job = { plates, waitingFor: 'still' };
    const zero = await this.#still(plates, 'to be still', signal);
    if (job.kind === 'tare') {
      signal.throwIfAborted();
      plates.forEach((p, i) => {
        this.#sensor.setCalibration(
          p,
          tare(this.#sensor.calibration()[p] as PlateCalibration, zero[i] as number),
        );
      });
      this.#persist();
      return `plates ${plates.join(', ')} of ${this.id} zeroed`;
    }
    const plate = job.plate;
    const before = zero[0] as number;
    this.job = { plates, waitingFor: 'weight' };
    await this.#changed(plate, signal);
    this.job = { plates, waitingFor: 'settled' };
    const [after] = await this.#still([plate], 'to settle with the known weight', signal);
    const old = this.#sensor.calibration()[plate] as PlateCalibration;
    if (((after as number) - before) * old.slope <= 0)
      throw new Error(
        `plate ${plate} of ${this.id} got lighter, not heavier: place the known weight after the command`,
      );
    const calibrated = span(old, before, after as number, job.grams);
    signal.throwIfAborted();
    this.#sensor.setCalibration(plate, calibrated);
    this.#persist();
    return `plate ${plate} of ${this.id} calibrated: ${job.grams} g now reads ${job.grams} g (slope ${calibrated.slope.toPrecision(6)})`;
  }

  #persist(): void {
    try {
      this.#save(this.#sensor.calibration());
    } catch (err) {
      throw new Error(
        `calibrated, but could not save it (${err instanceof Error ? err.message : err}); it will be lost at restart`,
      );
    }
  }

  /** Resolves with each plate's stable reading once all are still at the same time. */
  #still(plates: number[], what: string, signal: AbortSignal): Promise<number[]> {
    return this.#until(`plates ${plates.join(', ')} of ${this.id} did not come ${what}`, signal, () => {
      const readings = plates.map((p) => this.#sensor.stableReading(p));
      return readings.every((r) => r !== undefined) ? (readings as number[]) : undefined;
    });
  }

  /** Resolves once the sensor has seen the plate take part in a change. */
  #changed(plate: number, signal: AbortSignal): Promise<void> {
    let seen = false;
    return this.#until(`no weight was placed on plate ${plate} of ${this.id}`, signal, (outputs) => {
      seen ||= outputs.some((o) => o.type === 'change' && (o as ShelfChange).plates.includes(plate));
      return seen ? true : undefined;
    }).then(() => undefined);
  }

  /** Resolves with what `check` finds in the sensor's decisions; rejects on timeout or when `signal` aborts. */
  #until<T>(
    timeoutReason: string,
    signal: AbortSignal,
    check: (outputs: readonly SensorOutput[]) => T | undefined,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new Error('the calibration was stopped'));
        return;
      }
      const abort = () => {
        stop();
        reject(new Error('the calibration was stopped'));
      };
      signal.addEventListener('abort', abort, { once: true });
      const stop = () => {
        unwatch();
        this.#clock.clearTimeout(timer);
        signal.removeEventListener('abort', abort);
      };
      const timer = this.#clock.setTimeout(() => {
        stop();
        reject(new Error(`${timeoutReason} within ${Math.round(this.#jobTimeoutMs / 1000)} s`));
      }, this.#jobTimeoutMs);
      const attempt = (outputs: readonly SensorOutput[]) => {
        const result = check(outputs);
        if (result === undefined) return;
        stop();
        resolve(result);
      };
      const unwatch = this.watch((_batch, outputs) => attempt(outputs));
      attempt([]);
    });
  }
}
