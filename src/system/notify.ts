// Telling systemd how the service is doing (sd_notify, Type=notify): READY=1 once every part is up,
// STATUS= lines a technician reads in `systemctl status`, STOPPING=1 on the way out, and WATCHDOG=1
// pings sent from the event loop, so a loop that stalls stops them and systemd restarts the daemon.
// Only under systemd (NOTIFY_SOCKET set). Node cannot send on a unix datagram socket by itself, so
// unix-dgram is loaded then, and only then.
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './log.js';

/** What the daemon tells its service manager; every call is fire-and-forget and never throws. */
export interface ServiceNotifier {
  ready(status: string): void;
  status(text: string): void;
  stopping(status: string): void;
  /** Stops the watchdog pings and closes the socket. */
  close(): void;
}

/** Sends one datagram to the notify socket; what unix-dgram gives, or a test's fake. */
export type SendDatagram = (message: string) => void;

export interface NotifyOptions {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: Logger;
  /** Opens the notify socket; by default unix-dgram, loaded on first use. */
  open?: (path: string) => Promise<{ send: SendDatagram; close: () => void }>;
}

const silent: ServiceNotifier = { ready() {}, status() {}, stopping() {}, close() {} };

/**
 * The notifier for this process: systemd's when NOTIFY_SOCKET is set, else one that does nothing.
 * Rejects when systemd waits for READY=1 but cannot be told: better a clear failure now than a
 * silent start timeout.
 */
export async function serviceNotifier(options: NotifyOptions): Promise<ServiceNotifier> {
  const { env, clock, log } = options;
  const path = env.NOTIFY_SOCKET;
  if (!path) return silent;
  // An abstract socket ("@name") has a NUL where the "@" is written.
  const address = path.startsWith('@') ? `\0${path.slice(1)}` : path;
  let socket: { send: SendDatagram; close: () => void };
  try {
    socket = await (options.open ?? openUnixDgram)(address);
  } catch (err) {
    throw new Error(`cannot notify systemd on ${path}: ${(err as Error).message}`);
  }
  const send = (message: string) => {
    try {
      socket.send(message);
    } catch (err) {
      log.warn({ err }, 'could not notify systemd');
    }
  };
  let watchdog: TimerHandle | undefined;
  const everyMs = watchdogPeriodMs(env);
  if (everyMs !== undefined) watchdog = clock.setInterval(() => send('WATCHDOG=1'), everyMs);
  const line = (text: string) => text.replace(/[\r\n]+/g, ' ').slice(0, 200);
  return {
    ready: (status) => send(`READY=1\nSTATUS=${line(status)}`),
    status: (text) => send(`STATUS=${line(text)}`),
    stopping: (status) => send(`STOPPING=1\nSTATUS=${line(status)}`),
    close: () => {
      if (watchdog !== undefined) clock.clearInterval(watchdog);
      watchdog = undefined;
      try {
        socket.close();
      } catch {}
    },
  };
}

/**
 * Half of WATCHDOG_USEC, as sd_watchdog_enabled advises, when the watchdog is on for this process
 * (WATCHDOG_PID, when set, names it); undefined otherwise.
 */
export function watchdogPeriodMs(env: NodeJS.ProcessEnv, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

async function openUnixDgram(address: string): Promise<{ send: SendDatagram; close: () => void }> {
  const { createSocket } = await import('unix-dgram');
  const socket = createSocket('unix_dgram');
  // A send that fails (systemd gone) is reported on 'error'; without a listener it would throw.
  socket.on('error', () => {});
  return {
    send: (message) => socket.send(Buffer.from(message), 0, Buffer.byteLength(message), address),
    close: () => socket.close(),
  };
}
