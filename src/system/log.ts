// Structured logs: one JSON object per line on stdout, which journald keeps. Known secret-bearing
// fields are censored whatever object they arrive in.
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

const redactPaths = [
  'token',
  '*.token',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'credential',
  '*.credential',
];

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** The daemon's root logger; parts take `log.child({ part })`. */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths, censor: '[redacted]' },
    },
    destination ?? stdoutDestination(),
  );
}

/** Standard output, written synchronously: a line logged just before a crash is not lost. */
export function stdoutDestination(): DestinationStream {
  return pino.destination({ dest: 1, sync: true });
}

/** A logger that drops everything, for tests and tools that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
