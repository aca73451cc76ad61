// Which character a key types, per keyboard layout: a scanner in keyboard mode sends key positions
// (USB HID usage ids, HID Usage Tables §10 "Keyboard/Keypad Page (0x07)"), not characters, and
// types a code as a person would on the layout it is set to. Another layout is another table here.
import type { KeyboardLayoutName } from './hid-profile.js';

/** The character for each usage id (0 = the key types none) without modifiers, with Shift, with AltGr. */
export interface KeyboardLayout {
  name: KeyboardLayoutName;
  plain: Uint16Array;
  shifted: Uint16Array;
  altGr: Uint16Array;
}

/** Consecutive keys from usage id `first`: what each types plain and with Shift; "\0" for none (a dead key). */
type Row = readonly [first: number, plain: string, shifted: string];

interface LayoutSpec {
  rows: readonly Row[];
  /** Right Alt (AltGr) characters, by usage id. */
  altGr?: Readonly<Record<number, string>>;
}

// Tab types a character, but a control one: a code with it is binary unless the profile ends codes on Tab.
const TAB: Row = [0x2b, '\t', '\t'];

// Keypad: "/ * - +" at 0x54-0x57, then 1-9, 0 and the decimal key at 0x59-0x63. Scanners use the
// keypad with Num Lock assumed on, so Shift does not change it here.
const keypad = (decimal: string): Row[] => [
  [0x54, '/*-+', '/*-+'],
  [0x59, `1234567890${decimal}`, `1234567890${decimal}`],
];

const specs: Record<KeyboardLayoutName, LayoutSpec> = {
  // US English (ANSI). 0x32 ("Non-US # and ~") and 0x64 ("Non-US \ and |") type what the ANSI
  // backslash key types, as Linux and Windows map them under a US layout.
  us: {
    rows: [
      [0x04, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
      [0x1e, '1234567890', '!@#$%^&*()'],
      TAB,
      [0x2c, " -=[]\\\\;'`,./", ' _+{}||:"~<>?'],
      ...keypad('.'),
      [0x64, '\\', '|'],
    ],
  },
  // German (ISO, "QWERTZ"): Y and Z swapped, umlauts on the US punctuation keys. The accent keys
  // (0x2E ´ `, and ^ on 0x35) are dead keys that type nothing alone: a code with them is binary.
  de: {
    rows: [
      [0x04, 'abcdefghijklmnopqrstuvwxzy', 'ABCDEFGHIJKLMNOPQRSTUVWXZY'],
      [0x1e, '1234567890', '!"§$%&/()='],
      TAB,
      [0x2c, ' ß\0ü+##öä\0,.-', " ?\0Ü*''ÖÄ°;:_"],
      ...keypad(','),
      [0x64, '<', '>'],
    ],
    altGr: {
      8: '€',
      16: 'µ',
      20: '@',
      31: '²',
      32: '³',
      36: '{',
      37: '[',
      38: ']',
      39: '}',
      45: '\\',
      48: '~',
      100: '|',
    },
  },
};

function build(name: KeyboardLayoutName, spec: LayoutSpec): KeyboardLayout {
  const layout = {
    name,
    plain: new Uint16Array(256),
    shifted: new Uint16Array(256),
    altGr: new Uint16Array(256),
  };
  for (const [first, plain, shifted] of spec.rows) {
    for (let i = 0; i < plain.length; i++) {
      layout.plain[first + i] = plain.charCodeAt(i);
      layout.shifted[first + i] = shifted.charCodeAt(i);
    }
  }
  for (const [usage, char] of Object.entries(spec.altGr ?? {}))
    layout.altGr[Number(usage)] = char.charCodeAt(0);
  return layout;
}

const layouts = new Map<KeyboardLayoutName, KeyboardLayout>();

/** The tables for a layout the profile names; built once, shared by every scanner using it. */
export function keyboardLayout(name: KeyboardLayoutName): KeyboardLayout {
  let layout = layouts.get(name);
  if (!layout) {
    layout = build(name, specs[name]);
    layouts.set(name, layout);
  }
  return layout;
}
