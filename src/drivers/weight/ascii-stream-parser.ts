// The grammar of `ascii-stream v1`, bytes in and samples out (docs/devices.md is the reference):
//
//   line  = OWS seq *( "," OWS value OWS ) [CR] LF          (exactly `channels` values)
//   seq   = 1*10DIGIT                                         (0 .. 2^32-1)
//   value = ["-"] 1*DIGIT ["." 1*DIGIT] | ["-"|"+"] ("nan" | "inf")   (nan/inf in any case)
//   OWS   = *( SP | HTAB )
//
// Lenient on whitespace, strict on everything else: `+5`, `1e3`, `.5`, `5.`, `0x10`, empty values and
// stray bytes make the whole line malformed, because a board that sends them is not speaking this
// format and guessing would turn line noise into weight. A line starting with "#" is a board message;
// a blank line is ignored. The first bytes after (re)start are skipped up to the first LF, since a
// port opened mid-line would otherwise read the tail of a line as a whole one.

/** What the parser found; it never throws. */
export interface AsciiStreamSink {
  /**
   * A valid line. `values` is reused for the next line: copy what you keep. `rejected` of them were
   * nan, inf or outside the range and are NaN.
   */
  sample(seq: number, values: Float32Array, rejected: number): void;
  /** A board message: the text after "#", trimmed. */
  message(text: string): void;
  /** A dropped line, why, and its start (for the log). */
  malformed(reason: string, line: string): void;
}

export interface AsciiStreamFormat {
  channels: number;
  /** Values outside [min, max] are NaN. */
  range: { min: number; max: number };
  /** Longest line kept; a longer one is dropped whole. Default 4096 bytes. */
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const MAX_SEQ = 2 ** 32 - 1;
const SEQ = /^[ \t]*(\d{1,10})[ \t]*$/;
const NUMBER = /^[ \t]*(-?\d+(?:\.\d+)?)[ \t]*$/;
const NOT_A_NUMBER = /^[ \t]*([-+]?)(nan|inf)[ \t]*$/i;
/** How much of a dropped line the log shows. */
const QUOTE_CHARS = 60;

export class AsciiStreamParser {
  readonly #channels: number;
  readonly #min: number;
  readonly #max: number;
  readonly #sink: AsciiStreamSink;
  readonly #line: Buffer;
  readonly #values: Float32Array;
  #length = 0;
  /** Skipping to the next LF: after a (re)start, or after a line grew past the cap. */
  #skipping = true;
  #synced = false;

  constructor(format: AsciiStreamFormat, sink: AsciiStreamSink) {
    this.#channels = format.channels;
    this.#min = format.range.min;
    this.#max = format.range.max;
    this.#sink = sink;
    this.#line = Buffer.alloc(format.maxLineBytes ?? 4096);
    this.#values = new Float32Array(format.channels);
  }

  /** Forgets any partial line, as after reopening the port: reading resumes after the next LF. */
  reset(): void {
    this.#length = 0;
    this.#skipping = true;
    this.#synced = false;
  }

  /** Feeds received bytes; complete lines are reported to the sink before this returns. */
  push(chunk: Uint8Array): void {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(LF, start);
      const stop = end === -1 ? chunk.length : end;
      if (!this.#skipping) this.#append(chunk, start, stop);
      if (end === -1) return;
      if (this.#skipping) {
        if (this.#synced) this.#sink.malformed(`line longer than ${this.#line.length} bytes`, this.#quote());
        this.#skipping = false;
        this.#synced = true;
      } else this.#parse(this.#length);
      this.#length = 0;
      start = end + 1;
    }
  }

  #append(chunk: Uint8Array, from: number, to: number): void {
    const room = this.#line.length - this.#length;
    if (to - from <= room) {
      this.#line.set(chunk.subarray(from, to), this.#length);
      this.#length += to - from;
      return;
    }
    // Keep the start for the log; the rest is skipped up to the next LF.
    this.#line.set(chunk.subarray(from, from + room), this.#length);
    this.#length = this.#line.length;
    this.#skipping = true;
  }

  #parse(length: number): void {
    const end = length > 0 && this.#line[length - 1] === CR ? length - 1 : length;
    const text = this.#line.toString('latin1', 0, end);
    if (text.startsWith('#')) {
      this.#sink.message(this.#line.toString('utf8', 1, end).trim());
      return;
    }
    if (text.trim() === '') return;
    const fields = text.split(',');
    if (fields.length !== this.#channels + 1) {
      this.#sink.malformed(`${fields.length - 1} values, expected ${this.#channels}`, quote(text));
      return;
    }
    const seq = SEQ.exec(fields[0] as string);
    const seqValue = seq ? Number(seq[1]) : Number.NaN;
    if (!(seqValue <= MAX_SEQ)) {
      this.#sink.malformed('sequence number is not an integer from 0 to 4294967295', quote(text));
      return;
    }
    let rejected = 0;
    for (let c = 0; c < this.#channels; c++) {
      const field = fields[c + 1] as string;
      const number = NUMBER.exec(field);
      if (number) {
        const value = Number(number[1]);
        const inRange = value >= this.#min && value <= this.#max;
        this.#values[c] = inRange ? value : Number.NaN;
        if (!inRange) rejected++;
      } else if (NOT_A_NUMBER.test(field)) {
        this.#values[c] = Number.NaN;
        rejected++;
      } else {
        this.#sink.malformed(`value ${c + 1} is not a number: "${quote(field)}"`, quote(text));
        return;
      }
    }
    this.#sink.sample(seqValue, this.#values, rejected);
  }

  #quote(): string {
    return quote(this.#line.toString('latin1', 0, this.#length));
  }
}

/** The start of a line, printable, for a log field. */
function quote(text: string): string {
  const printable = text
    .slice(0, QUOTE_CHARS)
    .replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return text.length > QUOTE_CHARS ? `${printable}…` : printable;
}
