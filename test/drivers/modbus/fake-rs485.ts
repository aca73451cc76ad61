// An RS-485 line with simulated Modbus RTU modules on it, in fake time: a module answers after its
// think time plus the time its bytes take on the wire, and can be told to misbehave. The wire keeps
// a log of every request and reply, so tests can check spacing and that no two requests overlap.
import type { SerialSettings, SerialTransport } from '../../../src/drivers/serial/transport.js';
import { crc16 } from '../../../src/drivers/weight/modbus/crc.js';
import type { FakeClock } from '../../../src/system/clock.js';

/** How a module spoils its next reply. */
export type Fault =
  | 'badCrc'
  | 'truncate'
  | 'silent'
  | { exception: number }
  | { lateMs: number }
  | { garbageFirst: Uint8Array };

export class FakeModule {
  readonly holding = new Map<number, number>();
  readonly input = new Map<number, number>();
  /** A module that does not answer at all (unpowered, wrong address, cut wire). */
  mute = false;
  /** Time from the end of the request to the start of the reply. */
  thinkMs = 2;
  /** Registers beyond this answer with exception 2, as a module with a shorter map would. */
  size = 200;
  readonly faults: Fault[] = [];
  /** When set, writes are refused with this exception code. */
  refuseWrites: number | undefined;

  /** Puts a signed 32-bit value, high word first, at `register` of the holding (3) or input (4) table. */
  setInt32(register: number, value: number, table: 3 | 4 = 3): void {
    const map = table === 3 ? this.holding : this.input;
    map.set(register, (value >>> 16) & 0xffff);
    map.set(register + 1, value & 0xffff);
  }

  /** Puts a float32 at `register`, in the given word order. */
  setFloat32(
    register: number,
    value: number,
    table: 3 | 4 = 4,
    wordOrder: 'big' | 'little' = 'little',
  ): void {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value);
    const high = view.getUint16(0);
    const low = view.getUint16(2);
    const map = table === 3 ? this.holding : this.input;
    map.set(register, wordOrder === 'big' ? high : low);
    map.set(register + 1, wordOrder === 'big' ? low : high);
  }
}

export interface WireEvent {
  at: number;
  address: number;
  fn: number;
  bytes: Uint8Array;
}

export class FakeRs485 implements SerialTransport {
  readonly settings: SerialSettings;
  readonly modules = new Map<number, FakeModule>();
  readonly requests: WireEvent[] = [];
  readonly replies: WireEvent[] = [];
  /** Requests written while a reply was still on its way: must stay 0. */
  collisions = 0;
  isOpen = false;
  opens = 0;
  /** When set, `open` rejects with this. */
  openError: string | undefined;
  /** When set, `write` rejects with this. */
  writeError: string | undefined;
  /** When set, `close` rejects with this (it must not reach the bus's caller). */
  closeError: string | undefined;
  readonly #clock: FakeClock;
  readonly #dataListeners = new Set<(chunk: Uint8Array) => void>();
  readonly #lostListeners = new Set<(reason: string) => void>();
  #inFlight = 0;

  constructor(clock: FakeClock, baudRate = 9600) {
    this.#clock = clock;
    this.settings = { path: '/dev/ttyFAKE0', baudRate, dataBits: 8, parity: 'none', stopBits: 1 };
  }

  /** Adds a module at `address`. */
  module(address: number): FakeModule {
    const module = new FakeModule();
    this.modules.set(address, module);
    return module;
  }

  /** Requests sent to one address. */
  requestsTo(address: number): WireEvent[] {
    return this.requests.filter((r) => r.address === address);
  }

  async open(): Promise<void> {
    this.opens++;
    if (this.openError) throw new Error(this.openError);
    this.isOpen = true;
  }

  async close(): Promise<void> {
    this.isOpen = false;
    if (this.closeError) throw new Error(this.closeError);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.writeError) throw new Error(this.writeError);
    if (!this.isOpen) throw new Error('port not open');
    if (this.#inFlight > 0) this.collisions++;
    const copy = bytes.slice();
    this.requests.push({
      at: this.#clock.now(),
      address: copy[0] as number,
      fn: copy[1] as number,
      bytes: copy,
    });
    this.#answer(copy);
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.#dataListeners.add(listener);
    return () => this.#dataListeners.delete(listener);
  }

  onLost(listener: (reason: string) => void): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  /** Pulls the adapter out. */
  lose(reason: string): void {
    this.isOpen = false;
    for (const listener of [...this.#lostListeners]) listener(reason);
  }

  /** Puts bytes on the line now, as noise or a stray device would. */
  inject(bytes: Uint8Array): void {
    for (const listener of [...this.#dataListeners]) listener(bytes);
  }

  /** The time `n` characters take on this line. */
  charsMs(n: number): number {
    return (n * 11_000) / this.settings.baudRate;
  }

  #answer(request: Uint8Array): void {
    const module = this.modules.get(request[0] as number);
    const crc = crc16(request, 0, request.length - 2);
    if (request.at(-2) !== (crc & 0xff) || request.at(-1) !== crc >>> 8)
      throw new Error('the bus sent a bad CRC');
    if (!module || module.mute) return;
    const fault = module.faults.shift();
    if (fault === 'silent') return;
    let reply = this.#reply(module, request, fault);
    if (fault === 'badCrc') reply[reply.length - 1] = (reply[reply.length - 1] as number) ^ 0xff;
    if (fault === 'truncate') reply = reply.subarray(0, reply.length - 3);
    if (typeof fault === 'object' && 'garbageFirst' in fault)
      reply = Uint8Array.of(...fault.garbageFirst, ...reply);
    const lateMs = typeof fault === 'object' && 'lateMs' in fault ? fault.lateMs : 0;
    const delay = this.charsMs(request.length) + module.thinkMs + lateMs + this.charsMs(reply.length);
    this.#inFlight++;
    this.#clock.setTimeout(() => {
      this.#inFlight--;
      if (!this.isOpen) return;
      this.replies.push({
        at: this.#clock.now(),
        address: reply[0] as number,
        fn: reply[1] as number,
        bytes: reply,
      });
      for (const listener of [...this.#dataListeners]) listener(reply);
    }, delay);
  }

  #reply(module: FakeModule, request: Uint8Array, fault: Fault | undefined): Uint8Array {
    const [address, fn] = request as unknown as [number, number];
    const word = (i: number) => ((request[i] as number) << 8) | (request[i + 1] as number);
    const start = word(2);
    if (typeof fault === 'object' && 'exception' in fault) return seal([address, fn | 0x80, fault.exception]);
    if ((fn === 6 || fn === 16) && module.refuseWrites !== undefined)
      return seal([address, fn | 0x80, module.refuseWrites]);
    if (fn === 3 || fn === 4) {
      const count = word(4);
      if (start + count > module.size) return seal([address, fn | 0x80, 2]);
      const map = fn === 3 ? module.holding : module.input;
      const body = [address, fn, count * 2];
      for (let r = start; r < start + count; r++) {
        const value = map.get(r) ?? 0;
        body.push(value >> 8, value & 0xff);
      }
      return seal(body);
    }
    if (fn === 6) {
      module.holding.set(start, word(4));
      return request.slice();
    }
    if (fn === 16) {
      const count = word(4);
      for (let i = 0; i < count; i++) module.holding.set(start + i, word(7 + 2 * i));
      return seal([...request.subarray(0, 6)]);
    }
    return seal([address, fn | 0x80, 1]);
  }
}

function seal(body: number[]): Uint8Array {
  const crc = crc16(Uint8Array.from(body));
  return Uint8Array.from([...body, crc & 0xff, crc >>> 8]);
}
