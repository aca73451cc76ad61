// What a Mettler Toledo scale answers over MT-SICS, line by line (MT-SICS Reference Manual, §2 "Command
// formats": responses end in CR LF, fields are separated by spaces, a weight is right-aligned in its
// field; docs/devices.md lists what the hub understands).

/** One reply line, classified; `malformed` for anything the hub does not understand. */
export type SicsReply =
  | { kind: 'weight'; stable: boolean; grams: number }
  /** `S I`: the scale cannot answer now (busy, or not stable in time). */
  | { kind: 'busy' }
  /** `S +` / `S -`: beyond the weighing range. */
  | { kind: 'overload' | 'underload' }
  /** `I4 A "..."`: the answer to `@` (reset), with the scale's serial number. */
  | { kind: 'reset'; serial: string }
  /** `Z A`, `Z I`, `Z +`, `Z -`: the outcome of a zero. */
  | { kind: 'zero'; outcome: 'done' | 'busy' | 'above-range' | 'below-range' }
  /** `ES` syntax, `ET` transmission, `EL` logical error. */
  | { kind: 'error'; code: 'ES' | 'ET' | 'EL' }
  | { kind: 'malformed'; reason: string };

/** Grams per unit for the units a scale may report in; others are refused (set the scale to grams). */
const GRAMS_PER_UNIT = new Map([
  ['g', 1],
  ['kg', 1000],
  ['mg', 0.001],
  ['lb', 453.59237],
  ['oz', 28.349523125],
]);

const WEIGHT = /^S +([SD]) +(-? *\d+(?:\.\d+)?) +(\S+)$/;
const SERIAL = /^I4 +A +"([^"]*)"$/;
const ZERO = new Map<string | undefined, SicsReply>([
  ['A', { kind: 'zero', outcome: 'done' }],
  ['I', { kind: 'zero', outcome: 'busy' }],
  ['+', { kind: 'zero', outcome: 'above-range' }],
  ['-', { kind: 'zero', outcome: 'below-range' }],
]);

/** Classifies one reply line (without CR LF). Never throws. */
export function parseSicsReply(line: string): SicsReply {
  const text = line.trim();
  const weight = WEIGHT.exec(text);
  if (weight) {
    const [, status, value, unit] = weight as unknown as [string, string, string, string];
    const factor = GRAMS_PER_UNIT.get(unit);
    if (factor === undefined)
      return { kind: 'malformed', reason: `unit "${unit}" is not supported: set the scale to g` };
    return { kind: 'weight', stable: status === 'S', grams: Number(value.replace(/ /g, '')) * factor };
  }
  const fields = text.split(/ +/);
  const [id, status] = fields;
  if (fields.length === 2 && id === 'S') {
    if (status === 'I') return { kind: 'busy' };
    if (status === '+') return { kind: 'overload' };
    if (status === '-') return { kind: 'underload' };
  }
  const zero = id === 'Z' && fields.length === 2 ? ZERO.get(status) : undefined;
  if (zero) return zero;
  if (fields.length === 1 && (id === 'ES' || id === 'ET' || id === 'EL')) return { kind: 'error', code: id };
  const serial = SERIAL.exec(text);
  if (serial) return { kind: 'reset', serial: serial[1] as string };
  return { kind: 'malformed', reason: 'not an MT-SICS reply the hub understands' };
}

/** Splits received bytes into lines at LF, dropping a CR before it; a line over `maxBytes` is dropped. */
export class LineSplitter {
  readonly #maxBytes: number;
  readonly #onLine: (line: string) => void;
  readonly #onTooLong: () => void;
  #pending = '';
  #skipping = false;

  constructor(maxBytes: number, onLine: (line: string) => void, onTooLong: () => void) {
    this.#maxBytes = maxBytes;
    this.#onLine = onLine;
    this.#onTooLong = onTooLong;
  }

  reset(): void {
    this.#pending = '';
    this.#skipping = false;
  }

  push(chunk: Uint8Array): void {
    const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    const parts = text.split('\n');
    const rest = parts.pop() as string;
    for (const part of parts) {
      const line = this.#pending + part;
      this.#pending = '';
      if (this.#skipping || line.length > this.#maxBytes) this.#onTooLong();
      else this.#onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      this.#skipping = false;
    }
    if (this.#skipping) return;
    this.#pending += rest;
    if (this.#pending.length > this.#maxBytes) {
      this.#pending = '';
      this.#skipping = true;
    }
  }
}
