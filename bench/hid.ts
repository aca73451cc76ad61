// How many HID input reports one core decodes per second: entry tokens (compact JWS, 150 to 400
// characters) as a keyboard-mode scanner types them (a report per key press and per release, Enter at
// the end) and as a HID POS scanner sends them (64-byte aim-header reports, 56 data bytes each).
// Each report is its own Uint8Array, as node-hid hands them over. Target: >= 1 million reports/s.
import { pathToFileURL } from 'node:url';
import { HidKeyboardDecoder } from '../src/drivers/scanner/hid-keyboard.js';
import { HidPosDecoder } from '../src/drivers/scanner/hid-pos.js';
import { hidKeyboardProfileSchema, hidPosProfileSchema } from '../src/drivers/scanner/hid-profile.js';

const TOKENS = 200;
const REPORTS = 3_000_000;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const common = { kind: 'hid-scanner', model: 'bench', description: 'bench' } as const;

/** Tokens shaped like entry tokens: three base64url parts joined by dots. */
function tokens(): string[] {
  let seed = 1;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const part = (n: number) => Array.from({ length: n }, () => BASE64URL[Math.floor(random() * 64)]).join('');
  return Array.from({ length: TOKENS }, () => {
    const length = 150 + Math.floor(random() * 250);
    return `${part(36)}.${part(length - 36 - 44 - 2)}.${part(44)}`;
  });
}

/** The US key and Shift for a token character (HID Usage Tables, Keyboard/Keypad page). */
function key(char: string): [number, number] {
  const code = char.charCodeAt(0);
  if (code >= 0x61 && code <= 0x7a) return [0x04 + code - 0x61, 0];
  if (code >= 0x41 && code <= 0x5a) return [0x04 + code - 0x41, 0x02];
  if (code >= 0x31 && code <= 0x39) return [0x1e + code - 0x31, 0];
  if (char === '0') return [0x27, 0];
  if (char === '-') return [0x2d, 0];
  if (char === '_') return [0x2d, 0x02];
  return [0x37, 0]; // "."
}

function keyboardReports(all: string[]): Uint8Array[] {
  const reports: Uint8Array[] = [];
  const release = () => new Uint8Array(8);
  for (const token of all) {
    for (const char of token) {
      const [usage, modifiers] = key(char);
      reports.push(Uint8Array.from([modifiers, 0, usage, 0, 0, 0, 0, 0]), release());
    }
    reports.push(Uint8Array.from([0, 0, 0x28, 0, 0, 0, 0, 0]), release());
  }
  return reports;
}

function posReports(all: string[]): Uint8Array[] {
  const reports: Uint8Array[] = [];
  for (const token of all) {
    const data = Buffer.from(token, 'latin1');
    for (let i = 0; i < data.length; i += 56) {
      const chunk = data.subarray(i, i + 56);
      const report = new Uint8Array(64);
      report.set([2, chunk.length, 0x5d, 0x51, 0x31]);
      report.set(chunk, 5);
      report[61] = 0x73;
      report[63] = i + 56 < data.length ? 1 : 0;
      reports.push(report);
    }
  }
  return reports;
}

/** The pool repeated to `REPORTS`, cut after a whole code so every code arrives complete. */
function stream(pool: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (out.length < REPORTS) for (const r of pool) out.push(r);
  return out;
}

/** Reports per second through `decode`, after a warm-up pass; throws if a code went missing. */
function measure(
  pool: Uint8Array[],
  decode: (r: Uint8Array, at: number) => void,
  codes: () => number,
): number {
  const reports = stream(pool);
  // Reports 1 ms apart, as a fast scanner sends them; whole pools, so no code is cut at a seam.
  let at = Date.UTC(2025, 0, 1);
  for (let pass = 0; pass < 3; pass++) for (const r of pool) decode(r, at++);
  const before = codes();
  const start = process.hrtime.bigint();
  for (let i = 0; i < reports.length; i++) decode(reports[i] as Uint8Array, at++);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const expected = (reports.length / pool.length) * TOKENS;
  if (codes() - before !== expected)
    throw new Error(`decoded ${codes() - before} codes, expected ${expected}`);
  return reports.length / seconds;
}

export function measureHidDecoding(): { keyboardReportsPerSecond: number; posReportsPerSecond: number } {
  const all = tokens();

  let keyboardCodes = 0;
  const keyboard = new HidKeyboardDecoder({
    profile: hidKeyboardProfileSchema.parse({ ...common, mode: 'keyboard', layout: 'us' }),
    onScan: (scan) => {
      if (!scan.problem) keyboardCodes++;
    },
  });
  let posCodes = 0;
  const pos = new HidPosDecoder({
    profile: hidPosProfileSchema.parse({ ...common, mode: 'pos', reportFormat: 'aim-header' }),
    onScan: (scan) => {
      if (!scan.problem) posCodes++;
    },
  });
  return {
    keyboardReportsPerSecond: measure(
      keyboardReports(all),
      (r, at) => keyboard.decode(r, at),
      () => keyboardCodes,
    ),
    posReportsPerSecond: measure(
      posReports(all),
      (r, at) => pos.decode(r, at),
      () => posCodes,
    ),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(measureHidDecoding(), null, 2)}\n`);
}
