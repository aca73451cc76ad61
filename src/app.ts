// The composition root: builds every part from the configuration, starts them in the order of the
// flow (outbox before anything can emit, uplink, then devices) and stops them in reverse.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { registerGateCommands } from './commands/gates.js';
import { CommandHandler, defineCommand, noArgs } from './commands/index.js';
import { registerScannerCommands } from './commands/scanners.js';
import { registerShelfCommands } from './commands/shelves.js';
import type { HubConfig } from './config/load.js';
import { planReload, type ReloadPlan } from './config/reload.js';
import { QrTokenVerifier } from './credentials/qr-token.js';
import { SqliteReplayCache } from './credentials/replay-cache.js';
import type { FeedEvent } from './diagnostics/live.js';
import { LogTail } from './diagnostics/log-tail.js';
import { HubMetrics } from './diagnostics/metrics.js';
import { DiagnosticsServer } from './diagnostics/server.js';
import { Listeners } from './drivers/listeners.js';
import type { EventData, EventKind } from './events/catalogue.js';
import { Devices } from './machines/devices.js';
import { entryDesk } from './machines/entry.js';
import type { Authorise } from './machines/gate.js';
import { Gates } from './machines/gates.js';
import { createStoreActor, inEmergency, memoryOf, type StoreActor, soleTrip } from './machines/store.js';
import { palmSalt, StoreMemoryFile } from './machines/store-memory.js';
import { StoreModeKeeper } from './machines/store-mode.js';
import { Outbox, OutboxError } from './outbox/outbox.js';
import type { GateHabits } from './sim/index.js';
import { systemClock } from './system/clock.js';
import type { Logger } from './system/log.js';
import { Uplink } from './uplink/uplink.js';

/** A part of the daemon with a start/stop contract; stop must not throw and must be safe before start. */
export interface Part {
  name: string;
  start(): Promise<void> | void;
  stop(reason: string): Promise<void> | void;
}

export interface AppOptions {
  config: HubConfig;
  log: Logger;
  version: string;
  /** How long a stop may wait for the cloud to acknowledge the last events. */
  drainMs?: number;
  /** The log's last lines, for the diagnostics page; none kept without it. */
  logTail?: LogTail;
  /** How the simulated gate shoppers behave, over the defaults; tests shorten their stays. */
  simGateHabits?: Partial<GateHabits>;
}

export class App {
  readonly outbox: Outbox;
  readonly uplink: Uplink;
  readonly devices: Devices;
  readonly store: StoreActor;
  readonly gates: Gates;
  readonly mode: StoreModeKeeper;
  readonly commands: CommandHandler;
  readonly #replayCache: SqliteReplayCache | undefined;
  #authorise: Authorise;
  /** The configuration in force: the file's, but for what a reload could not apply. */
  #config: HubConfig;
  readonly #log: Logger;
  readonly #opts: AppOptions;
  readonly #parts: Part[];
  #started: Part[] = [];
  #stopping: Promise<void> | undefined;
  readonly stats = { emitFailures: 0 };
  readonly metrics: HubMetrics;
  readonly diagnostics: DiagnosticsServer;
  /** Every event as it is emitted, for the diagnostics page's feed. */
  readonly #emitted = new Listeners<FeedEvent>();

  /** Builds the parts; opening the outbox is the only I/O, so a bad data directory fails here. */
  constructor(opts: AppOptions) {
    const { config, log } = opts;
    this.#opts = opts;
    this.#config = config;
    this.#log = log;
    this.metrics = new HubMetrics(() => this.status());
    this.diagnostics = new DiagnosticsServer({
      ...config.diagnostics,
      metrics: this.metrics,
      command: (name, args, by) => this.commands.handle('technician', name, args, by),
      live: {
        status: () => this.status(),
        events: (listener) => this.#emitted.add(listener),
        weights: (shelfId, listener) => {
          const station = this.devices.shelves.stations.get(shelfId);
          return station?.watch((batch) => listener(batch, station.calibration()));
        },
        scans: (listener) => this.devices.scans.listen(listener),
        logs: opts.logTail ?? new LogTail(),
      },
      clock: systemClock,
      log: log.child({ part: 'diagnostics' }),
    });
    try {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new OutboxError('unreadable', config.dataDir, `cannot create the data directory (${code})`);
    }
    this.outbox = Outbox.open({
      path: join(config.dataDir, 'outbox.db'),
      hub: { hubId: config.hub.id, storeId: config.hub.storeId },
      maxEvents: config.outbox.maxEvents,
      commitIntervalMs: config.outbox.commitIntervalMs,
      log: log.child({ part: 'outbox' }),
    });
    this.commands = new CommandHandler((entry) => this.emit('audit.command', entry));
    this.uplink = new Uplink({
      url: config.upstream.url,
      token: config.upstream.token,
      hub: { hubId: config.hub.id, storeId: config.hub.storeId },
      version: opts.version,
      source: this.outbox,
      settings: config.upstream,
      log: log.child({ part: 'uplink' }),
      onCommand: (cmd) => this.commands.handle('cloud', cmd.name, cmd.args),
    });
    const memory = new StoreMemoryFile(config.dataDir, log.child({ part: 'store' }));
    this.store = createStoreActor(memory.load(), systemClock);
    this.store.on('event', (e) => this.emit(e.kind, e.data as never));
    this.store.subscribe((snapshot) => {
      memory.save(memoryOf(snapshot));
      this.mode.update();
    });
    this.mode = new StoreModeKeeper({
      rules: config.store,
      warmUpMs: config.store.warmUpSeconds * 1000,
      clock: systemClock,
      facts: () => this.#modeFacts(),
      announce: (mode) => this.emit('store.mode', mode),
    });
    this.#replayCache = config.credentials.qr
      ? new SqliteReplayCache(join(config.dataDir, 'replay.db'))
      : undefined;
    this.#authorise = this.#entryDesk(config);
    this.gates = new Gates({
      store: this.store,
      // Through the field, so a reloaded configuration's credentials serve the next scan; timed for
      // the metrics.
      authorise: async (request, signal) => {
        const started = performance.now();
        const decision = await this.#authorise(request, signal);
        const outcome = decision.allow ? 'allow' : decision.reason;
        this.metrics.decided(request.gateId, outcome, (performance.now() - started) / 1000);
        return decision;
      },
      clock: systemClock,
      log,
      onDenied: (data) => this.emit('entry.denied', data),
      onAlarm: (data) => this.emit('gate.alarm', data),
    });
    this.devices = new Devices(
      config,
      log,
      (data) => {
        this.emit('device.status', data);
        this.mode.update();
      },
      {
        gates: this.gates,
        resetEmergency: () => void this.commands.handle('local', 'emergency.reset', {}),
        ...(opts.simGateHabits ? { gateHabits: opts.simGateHabits } : {}),
        onOutage: ({ from, to, ...outage }) =>
          this.emit('camera.outage', {
            ...outage,
            from: new Date(from).toISOString(),
            to: new Date(to).toISOString(),
            durationMs: to - from,
          }),
        onShelf: (report) => {
          // A shelf event names the trip when exactly one is inside, and nobody without one.
          const trip = soleTrip(this.store.getSnapshot().context);
          this.emit(report.kind, { ...report.data, ...(trip ? { tripId: trip.tripId } : {}) } as never);
        },
      },
    );
    registerShelfCommands(this.commands, this.devices.shelves);
    registerGateCommands(this.commands, this.gates, this.store);
    registerScannerCommands(this.commands, this.devices.scans);
    this.commands.register(
      'hub.status',
      defineCommand({
        summary: "The hub's uplink, outbox and device states",
        args: noArgs,
        run: () => this.status(),
      }),
    );
    const outbox = this.outbox;
    const uplink = this.uplink;
    this.#parts = [
      {
        name: 'outbox',
        start: () => {
          this.emit('hub.started', {
            version: opts.version,
            previousStop: outbox.previousStop,
            devices: this.devices.count,
          });
        },
        stop: () => outbox.close(),
      },
      {
        name: 'store',
        start: () => {
          this.store.start();
        },
        stop: () => {
          this.store.stop();
          memory.flush();
          this.#replayCache?.close();
        },
      },
      {
        name: 'uplink',
        start: () => uplink.start(),
        stop: async () => {
          outbox.flush();
          const drained = await uplink.drain(this.#opts.drainMs ?? 1500);
          if (!drained)
            this.#log.info({ pending: outbox.lastSeq - uplink.ackedSeq }, 'events left for the next start');
          await uplink.stop();
        },
      },
      { name: 'devices', start: () => this.devices.start(), stop: () => this.devices.stop() },
      // Last, so its first announcement already knows how the devices came up, not one per device.
      { name: 'store mode', start: () => this.mode.start(), stop: () => this.mode.stop() },
      {
        name: 'diagnostics',
        // A port already taken must not keep the gates shut: the hub runs on and says why.
        start: () =>
          this.diagnostics.start().catch((err: Error) => this.#log.error({ err: err.message }, err.message)),
        stop: () => this.diagnostics.stop(),
      },
    ];
  }

  /** Starts every part in order; if one fails, those already started are stopped and the error is thrown. */
  async start(): Promise<void> {
    for (const part of this.#parts) {
      try {
        await part.start();
      } catch (err) {
        this.#log.error({ err, part: part.name }, 'a part failed to start');
        await this.stop('start failed');
        throw err;
      }
      this.#started.push(part);
      this.#log.debug({ part: part.name }, 'started');
    }
    this.#log.info(
      { hubId: this.#opts.config.hub.id, parts: this.#started.map((p) => p.name) },
      'hub started',
    );
  }

  /** Stops in reverse order: devices to their safe state first, the outbox last. Idempotent. */
  stop(reason: string): Promise<void> {
    this.#stopping ??= this.#stop(reason);
    return this.#stopping;
  }

  async #stop(reason: string): Promise<void> {
    this.#log.info({ reason }, 'hub stopping');
    if (this.#started.length > 0) this.emit('hub.stopping', { reason });
    for (const part of this.#started.reverse()) {
      try {
        await part.stop(reason);
      } catch (err) {
        this.#log.error({ err, part: part.name }, 'a part failed to stop cleanly');
      }
    }
    this.#started = [];
  }

  /** Records an event; a failure to make it durable is logged and counted, never thrown at the caller. */
  emit<K extends EventKind>(kind: K, data: EventData<K>): void {
    this.metrics.emitted(kind);
    this.outbox.emit(kind, data).then(
      // The page hears of it once it is durable, with the seq and time the cloud will have; a page's
      // failure there must not become an unhandled rejection, which would stop the hub.
      ({ seq, id, time }) => {
        try {
          this.#emitted.emit({ seq, id, time, kind, data });
        } catch (err) {
          this.#log.error({ err, kind }, 'the diagnostics feed failed on an event');
        }
      },
      (err: Error) => {
        this.stats.emitFailures++;
        this.#log.error({ err: err.message, kind }, 'event could not be stored');
      },
    );
  }

  /** The authoriser the entry gates use, from the configuration's credentials. */
  #entryDesk(config: HubConfig): Authorise {
    const qr = config.credentials.qr;
    return entryDesk({
      store: this.store,
      qr:
        qr && this.#replayCache
          ? new QrTokenVerifier({ ...qr, audience: config.hub.storeId }, this.#replayCache)
          : undefined,
      cloud: {
        online: () => this.uplink.state === 'streaming',
        ask: (params, timeoutMs) => this.uplink.request('entry.authorize', params, timeoutMs),
      },
      cloudTimeoutMs: config.credentials.cloudTimeoutMs,
      maxPartySize: qr?.maxPartySize ?? 8,
      closedByRules: () => this.mode.current.mode === 'closed',
      log: this.#log.child({ part: 'entry' }),
      palmSalt: palmSalt(config.dataDir),
      clock: systemClock,
    });
  }

  /**
   * Applies a reloaded configuration (SIGHUP): the credentials and the store's rules at once, the
   * rest refused with the sections named (config/reload.ts). The caller has validated `next`.
   */
  reload(next: HubConfig): ReloadPlan {
    const plan = planReload(this.#config, next);
    for (const section of plan.apply) {
      if (section === 'credentials')
        this.#authorise = this.#entryDesk({ ...this.#config, credentials: next.credentials });
      if (section === 'store') this.mode.setRules(next.store);
    }
    this.#config = { ...this.#config, ...Object.fromEntries(plan.apply.map((s) => [s, next[s]])) };
    return plan;
  }

  /** What the store's mode is computed from: the store machine, every device, every shelf's cameras. */
  #modeFacts() {
    const snapshot = this.store.getSnapshot();
    const { gates, scanners, shelves, cameras } = this.#opts.config.devices;
    const ids = [...gates, ...scanners, ...shelves, ...cameras].map((d) => d.id);
    return {
      set: snapshot.context.mode,
      emergency: inEmergency(snapshot)
        ? { source: snapshot.context.emergencySource ?? 'emergency' }
        : undefined,
      devices: new Map(ids.map((id) => [id, this.devices?.status(id)])),
      shelves: shelves.map((s) => ({
        shelfId: s.id,
        cameras: s.cameras.length,
        coverage: this.devices?.coverage(s.id) ?? 'none',
      })),
    };
  }

  status() {
    return {
      uplink: {
        state: this.uplink.state,
        sentSeq: this.uplink.sentSeq,
        ackedSeq: this.uplink.ackedSeq,
        bufferedBytes: this.uplink.bufferedBytes,
        ...this.uplink.stats,
      },
      outbox: { depth: this.outbox.depth, lastSeq: this.outbox.lastSeq },
      devices: this.devices.statuses(),
      shelves: this.devices.shelves.report(),
      store: { ...storeReport(this.store), announced: this.mode.current },
      gates: this.gates.report(),
      cameras: this.devices.cameras(),
      scanners: this.devices.scans.report(),
      emitFailures: this.stats.emitFailures,
    };
  }
}

/** One line for `systemctl status`: the store, the uplink, the devices, the backlog. */
export function statusLine(status: ReturnType<App['status']>): string {
  const online = status.devices.filter((d) => d.status === 'online').length;
  const mode = status.store.announced.mode;
  return `store ${mode}, uplink ${status.uplink.state}, ${online}/${status.devices.length} devices online, ${status.outbox.depth} events to send`;
}

/** The store as `hub.status` shows it: mode, emergency, who is inside. */
function storeReport(store: StoreActor) {
  const memory = memoryOf(store.getSnapshot());
  return {
    mode: memory.mode,
    emergency: memory.emergency,
    occupancy: memory.occupancy,
    tripsInside: memory.trips.filter((t) => t.inside > 0).length,
    tripsWaiting: memory.trips.filter((t) => t.entered === 0).length,
  };
}
