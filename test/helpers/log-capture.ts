// A logger whose lines a test can read, to check what a technician would see (and what must never show).
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/system/log.js';

export function captureLog(): { log: Logger; lines: Record<string, unknown>[]; text: () => string } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      raw.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger('debug', stream as never);
  return {
    log,
    get lines() {
      return raw
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}
