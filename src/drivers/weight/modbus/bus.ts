// An RS-485 bus of Modbus RTU load-cell modules, polled by the hub as fast as the line allows. Live
// modules are polled round-robin; a module that stops answering goes offline and is only probed, less
// and less often, so it does not eat the bus time of the live ones.

import type { Clock } from '../../../system/clock.js';
import type { Logger } from '../../../system/log.js';
import type { SerialTransport } from '../../serial/transport.js';
import { BusBase } from '../bus-base.js';
import {
  type BoardBatch,
  type BoardStatus,
  type BusCounters,
  emptyCounters,
  type WeightBus,
} from '../port.js';
import { readRegisters, registersOf, writeRegister, writeRegisters } from './frames.js';
import { RtuLine } from './line.js';
import {
  describeFailures,
  type Failure,
  type ModbusBoard,
  ModuleState,
  type ProbeBackoff,
} from './module-state.js';
import type { ModbusProfile } from './profile.js';

export type { ModbusBoard } from './module-state.js';

export interface ModbusBusOptions {
  id: string;
  /** The port; its settings' baud rate sets the inter-frame silence. */
  transport: SerialTransport;
  boards: readonly ModbusBoard[];
  clock: Clock;
  log: Logger;
  probe?: ProbeBackoff;
}

/** A module as diagnostics and the benchmark see it. */
export interface BoardReport {
  boardId: string;
  address: number;
  model: string;
  /** undefined until the first poll since the bus opened has ended, and while the bus is closed. */
  online: boolean | undefined;
  reason: string;
  /** Polls per second achieved lately; 0 unless online. */
  rateHz: number;
  /** Good polls since the bus opened. */
  samples: number;
}

interface ZeroJob {
  module: ModuleState;
  resolve: () => void;
  reject: (err: Error) => void;
}

const defaultProbe: ProbeBackoff = { minMs: 500, maxMs: 10_000 };

export class ModbusRtuBus extends BusBase implements WeightBus {
  readonly id: string;
  readonly #transport: SerialTransport;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #probe: ProbeBackoff;
  readonly #modules: ModuleState[];
  readonly #byId = new Map<string, ModuleState>();
  #counters = emptyCounters();
  #line: RtuLine | undefined;
  /** Bumped by every open, close and loss: a poll loop or an open of an older session stops. */
  #session = 0;
  #cursor = 0;
  #zeros: ZeroJob[] = [];
  #opening: Promise<void> | undefined;
  #unsubscribeLost: (() => void) | undefined;

  constructor(options: ModbusBusOptions) {
    super();
    this.id = options.id;
    this.#transport = options.transport;
    this.port = options.transport;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#probe = options.probe ?? defaultProbe;
    if (options.boards.length === 0) throw new RangeError(`bus ${this.id} has no boards`);
    const addresses = new Set<number>();
    this.#modules = options.boards.map((board) => {
      if (!Number.isInteger(board.address) || board.address < 1 || board.address > 247)
        throw new RangeError(`board ${board.id}: Modbus address must be 1-247, not ${board.address}`);
      if (addresses.has(board.address) || this.#byId.has(board.id))
        throw new RangeError(`bus ${this.id}: board ${board.id} repeats an id or address ${board.address}`);
      addresses.add(board.address);
      const module = new ModuleState(board, this.#transport.settings.baudRate);
      this.#byId.set(board.id, module);
      return module;
    });
  }

  /** Opens the port and starts polling; rejects with the port's reason when it cannot be opened. */
  open(): Promise<void> {
    if (this.#line) return Promise.resolve();
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #open(): Promise<void> {
    const session = ++this.#session;
    await this.#transport.open();
    if (session !== this.#session) {
      await this.#transport.close();
      throw new Error(`bus ${this.id} was closed while its port was opening`);
    }
    this.#counters = emptyCounters();
    for (const m of this.#modules) m.reset('not polled yet');
    const line = new RtuLine(this.#transport, this.#clock, this.#counters);
    this.#line = line;
    line.start();
    this.#unsubscribeLost = this.#transport.onLost((reason) => this.#stop(reason, true));
    // The loop handles every failure of the line itself; what else throws (a listener) must not
    // become an unhandled rejection: the bus is lost, and the device link reopens it.
    this.#run(line, session).catch((err: unknown) => {
      this.#log.error({ bus: this.id, err }, 'Modbus poll loop failed');
      this.#stop(`poll loop failed: ${(err as Error).message}`, true);
    });
  }

  /** Stops polling and closes the port; never rejects. A zero command still queued is rejected. */
  async close(): Promise<void> {
    this.#session++;
    this.#stop(`bus ${this.id} closed`, false);
    await this.#transport.close().catch(() => undefined);
  }

  counters(): Readonly<BusCounters> {
    return { ...this.#counters };
  }

  /** Each module's state and achieved poll rate, in configuration order. */
  boards(): BoardReport[] {
    return this.#modules.map((m) => ({
      boardId: m.board.id,
      address: m.board.address,
      model: m.board.profile.model,
      online: m.online,
      reason: m.reason,
      rateHz: this.#rateHz(m),
      samples: m.samples,
    }));
  }

  /** Writes the board's zero command between two polls; resolves on the module's echo. */
  zero(boardId: string): Promise<void> {
    const module = this.#byId.get(boardId);
    if (!module) return Promise.reject(new Error(`bus ${this.id} has no board ${boardId}`));
    const { model, zero } = module.board.profile;
    if (!zero)
      return Promise.reject(new Error(`board ${boardId} (${model}) has no zero command in its profile`));
    const line = this.#line;
    if (!line) return Promise.reject(new Error(`bus ${this.id} is not open`));
    return new Promise((resolve, reject) => {
      this.#zeros.push({ module, resolve, reject });
      line.wake();
    });
  }

  async #run(line: RtuLine, session: number): Promise<void> {
    while (session === this.#session) {
      const job = this.#zeros.shift();
      if (job) await this.#zero(line, job);
      else {
        const module = this.#nextModule();
        if (module) await this.#poll(line, module);
        else await line.wait(Math.min(...this.#modules.map((m) => m.probeAt)) - this.#clock.now());
      }
    }
  }

  /** The next module in turn that is live, not yet known, or offline and due a probe. */
  #nextModule(): ModuleState | undefined {
    const now = this.#clock.now();
    const n = this.#modules.length;
    for (let i = 0; i < n; i++) {
      const index = (this.#cursor + i) % n;
      const module = this.#modules[index] as ModuleState;
      if (!module.due(now)) continue;
      this.#cursor = (index + 1) % n;
      return module;
    }
    return undefined;
  }

  /** One poll: every read of the module's plan; a good set of replies becomes one sample. */
  async #poll(line: RtuLine, module: ModuleState): Promise<void> {
    const { address, profile } = module.board;
    // An offline module gets one try per probe: retrying a dead one would only eat bus time.
    const attempts = module.online === false ? 1 : profile.timing.retries + 1;
    const words: Uint16Array[] = [];
    for (const read of module.decoder.reads) {
      const request = readRegisters(address, read.fn, read.start, read.count);
      const frame = await this.#attempt(line, module, request, attempts);
      if (frame === undefined) return;
      if (typeof frame === 'string') return this.#failed(module, frame);
      words.push(registersOf(frame));
    }
    this.#sampled(module, module.decoder.decode(words, this.#counters));
  }

  /** Sends `request` up to `attempts` times; the good reply, or what went wrong, or undefined once lost. */
  async #attempt(
    line: RtuLine,
    module: ModuleState,
    request: Uint8Array,
    attempts: number,
  ): Promise<Uint8Array | string | undefined> {
    const failures: Failure[] = [];
    for (let i = 0; i < attempts; i++) {
      const exchange = await line.transact(request, module.board.profile.timing.responseTimeoutMs);
      if (exchange.kind === 'reply') return exchange.frame;
      if (exchange.kind === 'lost') {
        if (this.#line === line) this.#stop(`serial port lost: ${exchange.reason}`, true);
        return undefined;
      }
      failures.push(exchange);
      this.#log.debug({ bus: this.id, board: module.board.id, failure: exchange }, 'Modbus request failed');
    }
    return describeFailures(module.board.address, failures);
  }

  #sampled(module: ModuleState, values: Float32Array): void {
    const now = this.#clock.now();
    if (module.answered(now)) this.#report(module);
    const batch: BoardBatch = {
      boardId: module.board.id,
      t0: now,
      rateHz: this.#rateHz(module),
      channels: values.length,
      values,
    };
    this.emitData(batch);
  }

  #failed(module: ModuleState, reason: string): void {
    if (module.online) this.#counters.lostSamples++;
    if (module.failed(this.#clock.now(), reason, this.#probe)) this.#report(module);
  }

  async #zero(line: RtuLine, job: ZeroJob): Promise<void> {
    const { module, resolve, reject } = job;
    const { address, id, profile } = module.board;
    const zero = profile.zero as NonNullable<ModbusProfile['zero']>;
    const request =
      zero.function === 6
        ? writeRegister(address, zero.register, zero.value)
        : writeRegisters(address, zero.register, [zero.value]);
    const result = await this.#attempt(line, module, request, profile.timing.retries + 1);
    if (result === undefined) return reject(new Error(`bus ${this.id} closed before board ${id} was zeroed`));
    if (typeof result === 'string') return reject(new Error(`board ${id} was not zeroed: ${result}`));
    this.#log.info({ bus: this.id, board: id }, 'board zeroed');
    // It answered: an offline module is worth a probe now rather than at its backoff.
    if (module.online === false) module.probeAt = this.#clock.now();
    resolve();
  }

  /** Ends the session: polling stops, queued zero commands fail; when `lost`, tells the listeners once. */
  #stop(reason: string, lost: boolean): void {
    const line = this.#line;
    if (!line) return;
    this.#line = undefined;
    this.#session++;
    this.#unsubscribeLost?.();
    this.#unsubscribeLost = undefined;
    line.stop();
    // Until the next open nothing is known of the modules; diagnostics shows why.
    for (const m of this.#modules) m.reset(reason);
    const zeros = this.#zeros;
    this.#zeros = [];
    for (const job of zeros) job.reject(new Error(`board ${job.module.board.id} was not zeroed: ${reason}`));
    if (!lost) return;
    this.#log.warn({ bus: this.id, reason }, 'Modbus bus lost');
    this.emitLost(reason);
  }

  #report(module: ModuleState): void {
    const { id, address } = module.board;
    const status: BoardStatus = { boardId: id, online: module.online === true, reason: module.reason };
    const context = { bus: this.id, board: id, address, counters: this.#counters };
    if (status.online) this.#log.info(context, `board ${id} online: ${status.reason}`);
    else this.#log.warn(context, `board ${id} offline: ${status.reason}`);
    this.emitStatus(status);
  }

  /** A module's poll rate; before it is measured, what the wire allows with every module not known dead. */
  #rateHz(module: ModuleState): number {
    const cycleMs = this.#modules.reduce((ms, m) => (m.online === false ? ms : ms + m.wireMs), 0);
    return module.rateHz(cycleMs);
  }
}
