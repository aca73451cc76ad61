// What arrives on an RTSP connection, cut into pieces as the bytes come: responses, the rare
// request from the server, and interleaved packets (`$`, channel, 16-bit length, data). TCP chunks
// fall anywhere: a response split in two, several in one chunk, packets before a reply. Memory is
// bounded: a header block or a body over 64 KiB ends the connection rather than growing a buffer.

const MAX_HEADER_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 64 * 1024;

export interface RtspHeaders {
  /** The first value of a header (names are case-insensitive). */
  get(name: string): string | undefined;
  /** Every value of a header, in order. */
  all(name: string): string[];
}

export type RtspPiece =
  | { kind: 'response'; status: number; statusText: string; headers: RtspHeaders; body: Buffer }
  | { kind: 'request'; method: string; headers: RtspHeaders; body: Buffer }
  | { kind: 'interleaved'; channel: number; data: Buffer };

/** The connection broke the protocol; the message says how, in a technician's words. */
export class RtspProtocolError extends Error {}

const statusLine = /^RTSP\/1\.\d (\d{3})(?: (.*))?$/;
const requestLine = /^([A-Z_]+) \S+ RTSP\/1\.\d$/;
const headerLine = /^([^\s:]+)[ \t]*:[ \t]*(.*)$/;
const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;

/** A streaming parser: `push` each chunk as it arrives, get back the pieces it completed. */
export class RtspMessageParser {
  #pending: Buffer = Buffer.alloc(0);
  /** Where the search for the end of the header block resumes: already-searched bytes are not searched again. */
  #searched = 0;

  /** Pieces completed by this chunk, in order; throws RtspProtocolError when the peer is not speaking RTSP. */
  push(chunk: Buffer): RtspPiece[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const pieces: RtspPiece[] = [];
    for (let piece = this.#next(); piece !== undefined; piece = this.#next()) pieces.push(piece);
    return pieces;
  }

  #next(): RtspPiece | undefined {
    // Some servers put a stray CRLF between messages.
    let skip = 0;
    while (this.#pending[skip] === CR || this.#pending[skip] === LF) skip++;
    const buffer = skip === 0 ? this.#pending : this.#pending.subarray(skip);
    this.#pending = buffer;
    if (buffer.length === 0) return undefined;
    if (buffer[0] === DOLLAR) {
      if (buffer.length < 4) return undefined;
      const end = 4 + buffer.readUInt16BE(2);
      if (buffer.length < end) return undefined;
      this.#pending = buffer.subarray(end);
      return { kind: 'interleaved', channel: buffer[1] as number, data: buffer.subarray(4, end) };
    }
    this.#checkStart(buffer);
    const blockEnd = this.#headerEnd(buffer);
    if (blockEnd === undefined) {
      if (buffer.length > MAX_HEADER_BYTES)
        throw new RtspProtocolError(`a response header larger than 64 KiB`);
      return undefined;
    }
    const lines = buffer.subarray(0, blockEnd.at).toString('latin1').replace(/\r$/, '').split(/\r?\n/);
    const first = lines.shift() as string;
    const headers = parseHeaders(lines);
    const length = contentLength(headers);
    const end = blockEnd.next + length;
    if (buffer.length < end) return undefined;
    const body = buffer.subarray(blockEnd.next, end);
    this.#pending = buffer.subarray(end);
    this.#searched = 0;
    const status = statusLine.exec(first);
    if (status)
      return { kind: 'response', status: Number(status[1]), statusText: status[2] ?? '', headers, body };
    // #checkStart let nothing else through.
    const [, method] = requestLine.exec(first) as RegExpExecArray;
    return { kind: 'request', method: method as string, headers, body };
  }

  // Garbage shows in the first bytes: a response starts "RTSP/", a server's request with a method name.
  #checkStart(buffer: Buffer): void {
    const head = buffer.subarray(0, 5).toString('latin1');
    if (!('RTSP/'.startsWith(head) || /^[A-Z_]+( |$)/.test(head))) throw notRtsp();
    const lineEnd = buffer.indexOf(LF);
    if (lineEnd < 0) return;
    const first = buffer.subarray(0, lineEnd).toString('latin1').replace(/\r$/, '');
    if (!statusLine.test(first) && !requestLine.test(first)) throw notRtsp();
  }

  #headerEnd(buffer: Buffer): { at: number; next: number } | undefined {
    const limit = Math.min(buffer.length, MAX_HEADER_BYTES + 4);
    for (let i = this.#searched; i < limit; i++) {
      if (buffer[i] !== LF) continue;
      // LF followed by LF or CRLF: the blank line that ends the header block.
      const [a, b] = [buffer[i + 1], buffer[i + 2]];
      if (a === LF) return { at: i, next: i + 2 };
      if (a === CR && b === LF) return { at: i, next: i + 3 };
      if (a === undefined || (a === CR && b === undefined)) {
        this.#searched = i;
        return undefined;
      }
    }
    this.#searched = limit;
    return undefined;
  }
}

function parseHeaders(lines: string[]): RtspHeaders {
  const values = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last !== undefined) {
      // An obsolete folded line continues the previous header's value.
      last[last.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const m = headerLine.exec(line);
    if (!m) throw notRtsp();
    const name = (m[1] as string).toLowerCase();
    last = values.get(name) ?? [];
    last.push((m[2] as string).trim());
    values.set(name, last);
  }
  return {
    get: (name) => values.get(name.toLowerCase())?.[0],
    all: (name) => values.get(name.toLowerCase()) ?? [],
  };
}

function contentLength(headers: RtspHeaders): number {
  const text = headers.get('content-length');
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text)) throw new RtspProtocolError(`an RTSP Content-Length that is not a number`);
  const length = Number(text);
  if (length > MAX_BODY_BYTES)
    throw new RtspProtocolError(`an RTSP body larger than 64 KiB (${length} bytes)`);
  return length;
}

const notRtsp = () => new RtspProtocolError('something that is not RTSP');
