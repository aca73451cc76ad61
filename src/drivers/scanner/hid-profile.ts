// A model of QR scanner on USB HID: which device it is (vendor and product id), and how its input
// reports carry a code: typed as keystrokes (keyboard mode) or as HID POS scanned-data reports
// (usage page 0x8C) in one of the report formats vendor manuals publish.
import { z } from 'zod';
import { loadProfileFile } from '../profile-file.js';
import { maxCodeBytesSchema } from './serial-profile.js';

/** A USB vendor or product id, or a HID usage page: 16 bits. */
export const usbId = z.number().int().min(0).max(0xffff);

const hidMatchSchema = z
  .strictObject({
    vendorId: usbId.describe('USB vendor id (the first half of `lsusb`\'s "ID vvvv:pppp", as 0xvvvv)'),
    productId: usbId.describe('USB product id; most scanners change it with the interface mode'),
    usagePage: usbId
      .optional()
      .describe(
        'HID usage page of the interface to open: 0x8C (Bar Code Scanner) for HID POS, 0x01 (Generic Desktop) for a keyboard',
      ),
  })
  .describe('How the hub recognises the model among the USB devices');

const commonShape = {
  kind: z.literal('hid-scanner'),
  model: z.string().min(1).max(100).describe('Manufacturer and model, as on the scanner'),
  description: z.string().min(1).describe('What hardware this fits and how it must be set up'),
  match: hidMatchSchema
    .optional()
    .describe(
      'Absent in a generic profile: the store configuration then names the device (ids, serial number or path)',
    ),
  maxCodeBytes: maxCodeBytesSchema,
  interReportTimeoutMs: z
    .number()
    .int()
    .min(20)
    .max(60_000)
    .default(500)
    .describe(
      'A code whose next report does not come within this time is dropped (or, for "length-only", ended), so no later code is glued onto it',
    ),
};

export const keyboardLayouts = ['us', 'de'] as const;
export const posReportFormats = ['aim-header', 'code-id-trailer', 'length-only'] as const;

export const hidKeyboardProfileSchema = z.strictObject({
  ...commonShape,
  mode: z.literal('keyboard'),
  layout: z
    .enum(keyboardLayouts)
    .describe('The keyboard layout the scanner is set to type for: the key for each character it sends'),
  reportId: z
    .number()
    .int()
    .min(1)
    .max(255)
    .optional()
    .describe(
      'Set when the keyboard interface numbers its reports (9 bytes: id, modifiers, reserved, 6 keys); absent for plain 8-byte boot reports',
    ),
  terminator: z
    .enum(['enter', 'enter-or-tab'])
    .default('enter')
    .describe('What ends a code: Enter (main or keypad), or also Tab'),
});

export const hidPosProfileSchema = z.strictObject({
  ...commonShape,
  mode: z.literal('pos'),
  reportFormat: z
    .enum(posReportFormats)
    .describe(
      'aim-header: Honeywell and Access-IS (AIM id in bytes 2-4, data 5-60, flag in byte 63); code-id-trailer: Newland and its OEMs (data 2-57, code id byte 62, flag byte 63); length-only: Microscan HID (data 2-63, a full report continues)',
    ),
  reportId: z
    .number()
    .int()
    .min(1)
    .max(255)
    .optional()
    .describe(
      'Report id of the scanned-data report; 2 for aim-header and code-id-trailer, 1 for length-only',
    ),
  aimPrefix: z
    .boolean()
    .default(false)
    .describe(
      'The scanner is set to send the AIM id ("]Q1") in front of the data: the hub strips and reports it. aim-header carries it in its own bytes and ignores this',
    ),
});

export const hidProfileSchema = z.discriminatedUnion('mode', [hidKeyboardProfileSchema, hidPosProfileSchema]);

export type HidKeyboardProfile = z.output<typeof hidKeyboardProfileSchema>;
export type HidPosProfile = z.output<typeof hidPosProfileSchema>;
export type HidProfile = z.output<typeof hidProfileSchema>;
export type KeyboardLayoutName = HidKeyboardProfile['layout'];
export type PosReportFormat = HidPosProfile['reportFormat'];

/** Reads and validates a HID scanner profile; throws an Error whose message is one line per problem. */
export function loadHidProfile(path: string): HidProfile {
  return loadProfileFile(path, hidProfileSchema);
}
