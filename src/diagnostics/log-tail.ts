// The daemon's last log lines for the diagnostics page: every line the logger writes passes through
// here on its way to stdout (journald), already redacted; the last few hundred at info or above are
// kept and told to the page's listeners.
import type { DestinationStream } from 'pino';
import { Listeners } from '../drivers/listeners.js';

export interface LogLine {
  time: string;
  level: string;
  msg: string;
  /** The part and device the line is about, when it names them. */
  part?: string;
  deviceId?: string;
}

const kept = new Set(['info', 'warn', 'error', 'fatal']);
const keptLevel = /"level":"(info|warn|error|fatal)"/;
const deviceKeys = ['deviceId', 'scannerId', 'gateId', 'shelfId', 'busId', 'boardId', 'linkId'] as const;

export class LogTail implements DestinationStream {
  readonly #next: DestinationStream | undefined;
  readonly #size: number;
  readonly #lines: LogLine[] = [];
  readonly #listeners = new Listeners<LogLine>();

  /** Passes every line on to `next` (stdout in the daemon) and keeps the last `size`. */
  constructor(next?: DestinationStream, size = 300) {
    this.#next = next;
    this.#size = size;
  }

  write(text: string): void {
    this.#next?.write(text);
    // Debug and trace lines can come by the thousand: they are passed on without being read.
    if (!keptLevel.test(text)) return;
    let line: LogLine | undefined;
    try {
      line = lineOf(JSON.parse(text));
    } catch {
      return;
    }
    if (!line) return;
    this.#lines.push(line);
    if (this.#lines.length > this.#size) this.#lines.shift();
    try {
      this.#listeners.emit(line);
    } catch {
      // A page's listener guards itself; a log call must never fail because of one.
    }
  }

  recent(): readonly LogLine[] {
    return this.#lines;
  }

  /** Hears each line kept from now on; returns the unsubscribe. */
  listen(listener: (line: LogLine) => void): () => void {
    return this.#listeners.add(listener);
  }
}

function lineOf(record: Record<string, unknown>): LogLine | undefined {
  if (typeof record.level !== 'string' || !kept.has(record.level)) return undefined;
  const line: LogLine = {
    time: String(record.time ?? ''),
    level: record.level,
    msg: String(record.msg ?? ''),
  };
  if (typeof record.part === 'string') line.part = record.part;
  const device = deviceKeys.map((key) => record[key]).find((v) => typeof v === 'string');
  if (typeof device === 'string') line.deviceId = device;
  return line;
}
