// Every shelf of the hub at work: one station per shelf (wiring, sensor, machine), one kept-open link
// per serial bus or simulated shelf, and the routing between them. A bus's port going away takes
// every board on it down; a board that stops answering takes down only the plates wired to it.
import type { HubConfig } from '../config/load.js';
import type { ShelfConfig } from '../config/schema.js';
import type { DeviceLink } from '../drivers/link.js';
import type { WeightBus } from '../drivers/weight/port.js';
import { defaultSpread, explainChange, resolveItemOptions } from '../sensing/items.js';
import type { PlateCalibration, Product } from '../sensing/types.js';
import type { PlateWire } from '../sensing/wiring.js';
import type { SimStore } from '../sim/store.js';
import type { Clock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import { CalibrationStore } from './calibration-store.js';
import { createDeviceLinkActor, type DeviceLinkActor } from './device-link.js';
import { motionOf, type ShelfEmitted } from './shelf.js';
import { type Sensor, ShelfStation } from './shelf-station.js';
import { reasonOf, type StatusEmitted } from './status.js';

export interface ShelvesOptions {
  config: HubConfig;
  clock: Clock;
  log: Logger;
  /** Builds a shelf's sensor with the calibration it starts from. */
  makeSensor: (shelf: ShelfConfig, calibration: PlateCalibration[], rateHz: number) => Sensor;
  /** Opens nothing: builds the link of a configured serial bus. */
  makeBus: (busId: string) => WeightBus;
  /** The default calibration of a board channel (from its profile): grams per reading unit. */
  defaultCalibration: (wire: PlateWire) => PlateCalibration;
  /** The sample rate a shelf's lead board runs at. */
  rateOf: (shelf: ShelfConfig) => number;
  onStatus: (status: StatusEmitted) => void;
  onShelf: (shelfId: string, event: ShelfEmitted) => void;
}

/** The catalogue as item inference takes it; a product without a measured spread gets the default. */
export function productsOf(products: HubConfig['catalogue']['products']): Map<string, Product> {
  return new Map(
    products.map((p) => [
      p.sku,
      { sku: p.sku, name: p.name, grams: p.grams, spreadGrams: p.spreadGrams ?? defaultSpread(p.grams) },
    ]),
  );
}

export class Shelves {
  readonly #opts: ShelvesOptions;
  readonly #log: Logger;
  readonly #stations = new Map<string, ShelfStation>();
  /** Stations by the board (or simulated shelf) their plates are wired to. */
  readonly #byBoard = new Map<string, ShelfStation[]>();
  readonly #links: DeviceLinkActor[] = [];
  readonly #buses = new Map<string, WeightBus>();

  constructor(opts: ShelvesOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ part: 'shelves' });
  }

  get stations(): ReadonlyMap<string, ShelfStation> {
    return this.#stations;
  }

  get buses(): ReadonlyMap<string, WeightBus> {
    return this.#buses;
  }

  /** Builds and starts one shelf's station; throws when it cannot (the caller reports it offline). */
  startShelf(shelf: ShelfConfig, sim: SimStore | undefined): void {
    const { config, clock } = this.#opts;
    const wires: PlateWire[] =
      shelf.driver === 'sim'
        ? Array.from({ length: shelf.plates }, (_, channel) => ({ board: shelf.id, channel }))
        : (shelf.wiring ?? []).flatMap((w) => w.channels.map((channel) => ({ board: w.board, channel })));
    const store = new CalibrationStore(config.dataDir, this.#log);
    const fingerprint = wires.map((w) => `${w.board}:${w.channel}`).join(',');
    const calibration =
      store.load(shelf.id, wires.length, fingerprint) ?? wires.map((w) => this.#opts.defaultCalibration(w));
    const products = productsOf(config.catalogue.products);
    const minConfidence = shelf.sensing?.minConfidence;
    // Resolved once: a bad option fails this shelf's start, never a decision.
    const itemOptions = resolveItemOptions(minConfidence === undefined ? {} : { minConfidence });
    const station = new ShelfStation({
      shelfId: shelf.id,
      wires,
      sensor: this.#opts.makeSensor(shelf, calibration, this.#opts.rateOf(shelf)),
      explain: (change) => explainChange(change, shelf.planogram, products, itemOptions),
      clock,
      save: (c) => store.save(shelf.id, fingerprint, c, new Date(clock.now())),
    });
    station.actor.on('status', (e) => this.#opts.onStatus(e));
    station.actor.on('shelf', (e) => this.#opts.onShelf(shelf.id, e));
    station.actor.start();
    this.#stations.set(shelf.id, station);
    for (const board of station.wiring.boards) {
      const list = this.#byBoard.get(board) ?? [];
      list.push(station);
      this.#byBoard.set(board, list);
    }
    if (shelf.driver === 'sim') {
      if (!sim) throw new Error('no simulated store');
      const link = sim.shelf(shelf.id);
      this.#keepOpen(shelf.id, link, (batch) => station.push({ ...batch, boardId: shelf.id }), [shelf.id]);
    }
  }

  /** Builds and opens one serial bus; its boards' samples go to the stations wired to them. */
  startBus(busId: string): void {
    const bus = this.#opts.makeBus(busId);
    this.#buses.set(busId, bus);
    const boards = (this.#opts.config.devices.buses.find((b) => b.id === busId)?.boards ?? []).map(
      (b) => b.id,
    );
    bus.onBoardStatus(({ boardId, online, reason }) => {
      for (const station of this.#byBoard.get(boardId) ?? [])
        station.actor.send(
          online ? { type: 'source.up', source: boardId } : { type: 'source.down', source: boardId, reason },
        );
    });
    this.#keepOpen(busId, bus, (batch) => this.#route(batch), boards, true);
  }

  #route(batch: Parameters<ShelfStation['push']>[0]): void {
    for (const station of this.#byBoard.get(batch.boardId) ?? []) station.push(batch);
  }

  /**
   * Keeps a link open with the device-link machine. Its health is not a device's own: it is passed to
   * the stations as their boards going up (simulated shelves) or down with the port's reason.
   */
  #keepOpen<T>(
    linkId: string,
    link: DeviceLink<T>,
    onData: (data: T) => void,
    boards: string[],
    boardsReportThemselves = false,
  ): void {
    const actor = createDeviceLinkActor(
      { deviceId: linkId, deviceKind: 'shelf', link, onData },
      this.#opts.clock,
    );
    actor.on('status', ({ status, reason }) => {
      if (reason === 'closed') return;
      for (const board of boards)
        for (const station of this.#byBoard.get(board) ?? []) {
          if (status === 'offline')
            station.actor.send({
              type: 'source.down',
              source: board,
              reason: boardsReportThemselves ? `${linkId}: ${reason}` : reason,
            });
          else if (!boardsReportThemselves) station.actor.send({ type: 'source.up', source: board });
        }
    });
    actor.subscribe({
      error: (err: unknown) => {
        this.#log.error({ err, linkId }, 'shelf link failed');
        for (const board of boards)
          for (const station of this.#byBoard.get(board) ?? [])
            station.actor.send({
              type: 'source.down',
              source: board,
              reason: `internal error: ${reasonOf(err)}`,
            });
      },
    });
    actor.start();
    this.#links.push(actor);
  }

  /** What diagnostics and `hub.status` show of the shelves and buses. */
  report() {
    return {
      shelves: [...this.#stations.values()].map((station) => {
        const snapshot = station.actor.getSnapshot();
        const { context } = snapshot;
        return {
          shelfId: station.id,
          motion: motionOf(snapshot),
          status: context.status,
          reason: context.reason,
          faults: context.faults,
          counts: context.counts,
        };
      }),
      buses: [...this.#buses.values()].map((bus) => ({
        busId: bus.id,
        ...bus.counters(),
        boards: bus.boards?.(),
      })),
    };
  }

  /** The actors to close on stop: links first (no more samples), then the shelves' machines. */
  actors(): { links: DeviceLinkActor[]; stations: ShelfStation[] } {
    return { links: this.#links.splice(0), stations: [...this.#stations.values()] };
  }
}
