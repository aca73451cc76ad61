// A configured serial bus as a WeightBus: the port with the profile's line settings (overridden by the
// configuration) and the driver of its boards' protocol. Nothing is opened here.
import type { Clock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import type { OpenSerial, SerialSettings } from '../serial/transport.js';
import { AsciiStreamBus } from './ascii-stream.js';
import { ModbusRtuBus } from './modbus/bus.js';
import { frameSilenceMs } from './modbus/line.js';
import { registersPerValue } from './modbus/profile.js';
import { MtSicsBus } from './mt-sics.js';
import type { WeightBus } from './port.js';
import type { WeightProfile } from './profiles.js';
import { serialSettings } from './serial-profile.js';

/** What a bus is configured with (the config's `devices.buses[]`): its port, line overrides and boards. */
export interface BusSetup {
  id: string;
  port: string;
  baudRate?: number | undefined;
  parity?: SerialSettings['parity'] | undefined;
  boards: readonly { id: string; address?: number | undefined; sampleRateHz?: number | undefined }[];
}

/** Builds the bus; `profiles` holds every board's model (see config/boards.ts). */
export function createBus(
  bus: BusSetup,
  profiles: ReadonlyMap<string, WeightProfile>,
  openSerial: OpenSerial,
  clock: Clock,
  log: Logger,
): WeightBus {
  const first = bus.boards[0];
  const profile = first && profiles.get(first.id);
  if (!first || !profile) throw new Error(`bus ${bus.id}: no board model resolved`);
  const transport = openSerial(serialSettings(bus.port, profile.serial, bus));
  const busLog = log.child({ bus: bus.id });
  switch (profile.protocol) {
    case 'ascii-stream':
      return new AsciiStreamBus({ id: bus.id, transport, board: first, profile, clock, log: busLog });
    case 'mt-sics':
      return new MtSicsBus({ id: bus.id, transport, board: first, profile, clock, log: busLog });
    case 'modbus-rtu':
      return new ModbusRtuBus({
        id: bus.id,
        transport,
        boards: bus.boards.map((b) => {
          const p = profiles.get(b.id);
          if (p?.protocol !== 'modbus-rtu')
            throw new Error(`bus ${bus.id}: board ${b.id} is not a Modbus module`);
          return { id: b.id, address: b.address ?? 0, profile: p };
        }),
        clock,
        log: busLog,
      });
  }
}

/** Grams per reading unit before any calibration: 1 for boards that report grams. */
export function nominalSlope(profile: WeightProfile): number {
  if (profile.protocol === 'ascii-stream' && profile.unit === 'counts') return profile.gramsPerCount ?? 1;
  return 1;
}

/**
 * Samples per second a board delivers: a streaming board's configured rate, or for a Modbus module an
 * estimate from the bytes each poll puts on the wire, shared with the other modules of its bus.
 */
export function nominalRate(
  bus: BusSetup,
  boardId: string,
  profiles: ReadonlyMap<string, WeightProfile>,
): number {
  const board = bus.boards.find((b) => b.id === boardId);
  const profile = profiles.get(boardId);
  if (!board || !profile) return 10;
  if (profile.protocol !== 'modbus-rtu') return board.sampleRateHz ?? profile.sampleRateHz;
  const baud = bus.baudRate ?? profile.serial.baudRate;
  const registers = profile.channels * registersPerValue[profile.registers.type] + (profile.status ? 1 : 0);
  const bytes = 8 + 5 + 2 * registers;
  const pollMs = (bytes * 11 * 1000) / baud + 2 * frameSilenceMs(baud) + 5;
  return Math.min(200, 1000 / (pollMs * bus.boards.length));
}
