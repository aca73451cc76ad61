// A Modbus bus on a fake RS-485 line, opened, with everything it reports collected.
import { ModbusRtuBus } from '../../../src/drivers/weight/modbus/bus.js';
import { type ModbusProfile, modbusProfileSchema } from '../../../src/drivers/weight/modbus/profile.js';
import type { BoardBatch, BoardStatus } from '../../../src/drivers/weight/port.js';
import { FakeClock } from '../../../src/system/clock.js';
import { silentLogger } from '../../../src/system/log.js';
import { type FakeModule, FakeRs485 } from './fake-rs485.js';

/** A 4-channel int32 module in grams with a status register and a zero command, 50 ms think time, 2 retries. */
export function fourChannelProfile(changes: Record<string, unknown> = {}): ModbusProfile {
  return modbusProfileSchema.parse({
    protocol: 'modbus-rtu',
    model: 'test-4ch-int32',
    description: 'four int32 channels',
    channels: 4,
    registers: { function: 3, start: 0, type: 'int32' },
    unit: 'grams',
    range: { min: -5000, max: 60_000 },
    status: { function: 3, register: 8, overloadBits: [0, 1, 2, 3], adcErrorBits: [8, 9, 10, 11] },
    zero: { register: 16, value: 1 },
    timing: { responseTimeoutMs: 50, retries: 2 },
    ...changes,
  });
}

export interface BoardSpec {
  id: string;
  address: number;
  profile?: ModbusProfile;
}

export interface BusOptions {
  baudRate?: number;
  /** Leave the bus closed. */
  open?: boolean;
  /** Sets up the modules before the bus opens (and sends its first requests). */
  prepare?: (modules: FakeModule[]) => void;
}

export async function openBus(boards: BoardSpec[], options: BusOptions = {}) {
  const clock = new FakeClock();
  const wire = new FakeRs485(clock, options.baudRate ?? 9600);
  const modules = boards.map((b) => wire.module(b.address));
  const bus = new ModbusRtuBus({
    id: 'bus-1',
    transport: wire,
    boards: boards.map((b) => ({ id: b.id, address: b.address, profile: b.profile ?? fourChannelProfile() })),
    clock,
    log: silentLogger(),
  });
  const batches: BoardBatch[] = [];
  const statuses: BoardStatus[] = [];
  const lost: string[] = [];
  bus.onData((batch) => batches.push(batch));
  bus.onBoardStatus((status) => statuses.push(status));
  bus.onLost((reason) => lost.push(reason));
  options.prepare?.(modules);
  if (options.open !== false) await bus.open();
  return { clock, wire, modules, bus, batches, statuses, lost };
}

/** Sets a 4-channel module's plates (grams) in its int32 registers. */
export function load(module: FakeModule | undefined, grams: number[]): void {
  for (const [c, g] of grams.entries()) module?.setInt32(2 * c, g);
}
