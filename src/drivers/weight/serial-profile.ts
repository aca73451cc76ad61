// The serial line settings a device profile gives as defaults; a bus in the configuration may override
// the baud rate and parity, and names the port.
import { z } from 'zod';
import type { SerialSettings } from '../serial/transport.js';

export const serialDefaultsSchema = z
  .strictObject({
    baudRate: z.number().int().min(300).max(4_000_000),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  })
  .describe('Line settings the device ships with');

export type SerialDefaults = z.output<typeof serialDefaultsSchema>;

/** The settings to open `path` with: the profile's defaults, overridden by the bus's configuration. */
export function serialSettings(
  path: string,
  defaults: SerialDefaults,
  overrides: { baudRate?: number | undefined; parity?: SerialSettings['parity'] | undefined } = {},
): SerialSettings {
  return {
    path,
    baudRate: overrides.baudRate ?? defaults.baudRate,
    dataBits: defaults.dataBits,
    parity: overrides.parity ?? defaults.parity,
    stopBits: defaults.stopBits,
  };
}
