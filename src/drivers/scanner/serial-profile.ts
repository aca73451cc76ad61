// A model of QR scanner that sends codes as lines on a serial port (USB-CDC "virtual COM port" mode,
// or RS-232 behind an adapter): its line settings, how it ends a code, and how long a code may be.
import { z } from 'zod';
import { loadProfileFile } from '../profile-file.js';
import { serialDefaultsSchema } from '../weight/serial-profile.js';

/** The longest code a scanner model may deliver, whatever its interface. */
export const maxCodeBytesSchema = z
  .number()
  .int()
  .min(8)
  .max(8192)
  .default(2048)
  .describe('Longest code accepted; a longer read is reported once as too long and dropped');

export const scannerProfileSchema = z.strictObject({
  kind: z.literal('serial-scanner'),
  model: z.string().min(1).max(100).describe('Manufacturer and model, as on the scanner'),
  description: z.string().min(1).describe('What hardware this fits and how it must be set up'),
  serial: serialDefaultsSchema,
  terminator: z
    .enum(['cr', 'lf', 'crlf', 'any'])
    .describe('What ends a code: "any" takes CR or LF, and a CR LF pair counts once'),
  maxCodeBytes: maxCodeBytesSchema,
  interByteTimeoutMs: z
    .number()
    .int()
    .min(20)
    .max(60_000)
    .optional()
    .describe(
      'A partial code silent this long without its terminator is dropped, so no later code is glued onto it',
    ),
});

export type ScannerProfile = z.output<typeof scannerProfileSchema>;

/** Reads and validates a scanner profile; throws an Error whose message is one line per problem. */
export function loadScannerProfile(path: string): ScannerProfile {
  return loadProfileFile(path, scannerProfileSchema);
}
