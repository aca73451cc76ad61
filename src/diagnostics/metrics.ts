// Prometheus metrics for `/metrics` (prom-client), on a registry of the hub's own. What is a count of
// things happening (events emitted, entry decisions) is recorded as it happens; what is a state
// (the outbox's depth, each device's status, each board's sample rate) is read from the hub's status
// at scrape time, so the hot paths pay nothing for it. No label ever carries a credential.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The parts of the hub's status the gauges read; `App.status()` is one. */
export interface MetricsSource {
  uplink: { state: string; ackedSeq: number; sentSeq: number; reconnects: number; connections: number };
  outbox: { depth: number; lastSeq: number };
  devices: readonly { deviceId: string; deviceKind: string; status: string }[];
  shelves: {
    buses: readonly { busId: string; boards?: readonly { boardId: string; rateHz?: number }[] | undefined }[];
  };
  gates: readonly { gateId: string; counts: { in: number; out: number; denied: number; granted: number } }[];
  store: { announced: { mode: string } };
}

const DEVICE_STATUSES = ['online', 'degraded', 'offline'] as const;
const STORE_MODES = ['open', 'degraded', 'closed', 'emergency'] as const;
const UPLINK_STATES = ['idle', 'connecting', 'handshaking', 'streaming', 'waiting', 'stopped'] as const;

export class HubMetrics {
  readonly registry = new Registry();
  readonly #emitted: Counter<'kind'>;
  readonly #decisions: Histogram<'gate' | 'outcome'>;
  readonly #read: () => MetricsSource;
  /** The hub's status for the scrape under way: read once, not once per gauge. */
  #scrape: MetricsSource | undefined;

  constructor(read: () => MetricsSource) {
    this.#read = read;
    const registry = this.registry;
    const status = () => {
      this.#scrape ??= this.#read();
      return this.#scrape;
    };
    this.#emitted = new Counter({
      name: 'store_gateway_events_emitted_total',
      help: 'Events the hub emitted into its outbox, by kind',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.#decisions = new Histogram({
      name: 'store_gateway_entry_decision_seconds',
      help: "From a scan at an entry gate to the hub's decision (local checks, and the cloud when asked)",
      labelNames: ['gate', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const gauge = <L extends string>(
      name: string,
      help: string,
      labelNames: L[],
      collect: (g: Gauge<L>, status: MetricsSource) => void,
    ) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          collect(this, status());
        },
      });
    gauge('store_gateway_outbox_depth', 'Events stored and not yet acknowledged by the cloud', [], (g, s) =>
      g.set(s.outbox.depth),
    );
    gauge(
      'store_gateway_events_acked_seq',
      'The highest event sequence the cloud has acknowledged',
      [],
      (g, s) => g.set(s.uplink.ackedSeq),
    );
    gauge('store_gateway_events_last_seq', 'The sequence of the last event emitted', [], (g, s) =>
      g.set(s.outbox.lastSeq),
    );
    gauge(
      'store_gateway_uplink_reconnects',
      'Reconnections of the uplink since the daemon started',
      [],
      (g, s) => g.set(s.uplink.reconnects),
    );
    gauge('store_gateway_uplink_state', 'The uplink state: 1 for the current one', ['state'], (g, s) => {
      for (const state of UPLINK_STATES) g.set({ state }, s.uplink.state === state ? 1 : 0);
    });
    gauge('store_gateway_store_mode', "The store's mode: 1 for the current one", ['mode'], (g, s) => {
      for (const mode of STORE_MODES) g.set({ mode }, s.store.announced.mode === mode ? 1 : 0);
    });
    gauge(
      'store_gateway_device_status',
      "Each device's health: 1 for its current status",
      ['device', 'kind', 'status'],
      (g, s) => {
        for (const d of s.devices)
          for (const status of DEVICE_STATUSES)
            g.set({ device: d.deviceId, kind: d.deviceKind, status }, d.status === status ? 1 : 0);
      },
    );
    gauge(
      'store_gateway_board_sample_rate_hz',
      'Samples a second each load-cell board delivers, where its bus measures it',
      ['bus', 'board'],
      (g, s) => {
        for (const bus of s.shelves.buses)
          for (const board of bus.boards ?? [])
            if (board.rateHz !== undefined) g.set({ bus: bus.busId, board: board.boardId }, board.rateHz);
      },
    );
    gauge(
      'store_gateway_gate_passages',
      'People through each gate, and credentials granted and denied, since the daemon started',
      ['gate', 'count'],
      (g, s) => {
        for (const gate of s.gates)
          for (const [count, value] of Object.entries(gate.counts))
            g.set({ gate: gate.gateId, count }, value);
      },
    );
  }

  /** An event went into the outbox. */
  emitted(kind: string): void {
    this.#emitted.inc({ kind });
  }

  /** An entry decision took `seconds`; `outcome` is allow, or the denial's reason word. */
  decided(gate: string, outcome: string, seconds: number): void {
    this.#decisions.observe({ gate, outcome }, seconds);
  }

  /** The text Prometheus scrapes. */
  async text(): Promise<string> {
    try {
      return await this.registry.metrics();
    } finally {
      this.#scrape = undefined;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
