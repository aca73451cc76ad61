// A palm-vein scanner behind its vendor's bridge: a small program, one per vendor SDK, that the hub
// starts and speaks to over a unix socket in line-delimited JSON (docs/devices.md, "Palm bridges").
// The hub listens first (mode 0600), then starts the bridge with the socket's path in its
// environment; the bridge connects, says hello and reports its status, and from then on sends scans.
// Only the cloud can match a palm, so a scan carries an opaque handle, which never reaches a log.
//
// One run = one listening socket + one bridge process + at most one connection. Any end of the run
// (the bridge exits, closes its socket, hangs, reports a fault, keeps sending garbage) is `onLost`
// once with a reason; the device-link machine then closes the link and opens it again with backoff,
// which starts a fresh bridge. Nothing the bridge sends can grow the hub's memory or crash it.
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { Clock, TimerHandle } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import { Secret } from '../../system/secret.js';
import { Listeners } from '../listeners.js';
import { QuietLog } from '../weight/quiet-log.js';
import {
  type BridgeMessage,
  type BridgeState,
  type LineProblemKind,
  MAX_LINE_BYTES,
  PALM_BRIDGE_PROTOCOL,
  PALM_SCANNER_ENV,
  PALM_SOCKET_ENV,
  parseBridgeLine,
} from './palm-bridge-messages.js';
import { listenForBridge } from './palm-bridge-socket.js';
import type { Scan, ScannerLink } from './port.js';

export interface PalmBridgeTuning {
  /** From start to the bridge's hello and first status. Vendor SDKs can take seconds to find the sensor. */
  readyTimeoutMs: number;
  /** How often the hub pings a ready bridge. */
  pingIntervalMs: number;
  /** How long a ping may go unanswered before the bridge counts as hung. */
  pongTimeoutMs: number;
  /** Between SIGTERM and SIGKILL when the hub stops the bridge. */
  stopGraceMs: number;
  /** After the bridge closes its socket, how long to wait for it to exit, to report its exit status instead. */
  exitWaitMs: number;
  /** Lines beyond this many in one second are dropped as a flood (and count as bad input). */
  maxLinesPerSecond: number;
  /** This many bad lines within badWindowMs and the bridge is restarted. */
  maxBadLines: number;
  badWindowMs: number;
}

export const defaultPalmBridgeTuning: PalmBridgeTuning = {
  readyTimeoutMs: 15_000,
  pingIntervalMs: 10_000,
  pongTimeoutMs: 5_000,
  stopGraceMs: 3_000,
  exitWaitMs: 500,
  maxLinesPerSecond: 20,
  maxBadLines: 20,
  badWindowMs: 60_000,
};

/** A scan's own `at` is believed when it is at most this old by the hub's clock. */
const MAX_SCAN_AGE_MS = 10_000;
/** ...and at most this far ahead of it (taken as now): the bridge runs on the same computer. */
const MAX_SCAN_LEAD_MS = 1_000;
/** What the bridge inherits from the hub's environment; the hub's own secrets stay with the hub. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'];

export interface PalmBridgeOptions {
  /** The scanner's id from the configuration. */
  id: string;
  /** The bridge program and its arguments, run without a shell. */
  command: readonly [string, ...string[]];
  /** Where the hub listens, in a directory only the service user can enter (the data or runtime dir). */
  socketPath: string;
  clock: Clock;
  /** Added to the bridge's environment (a vendor's licence file, the sensor's serial number). */
  env?: Record<string, string> | undefined;
  /** The bridge's working directory; the hub's by default. */
  cwd?: string | undefined;
  tuning?: Partial<PalmBridgeTuning> | undefined;
  /** Where trouble is told, at most once a minute per kind, never with a handle. */
  log?: Logger | undefined;
}

/** Who answered the last hello. */
export interface PalmBridgeIdentity {
  vendor: string;
  model: string;
  bridgeVersion: string;
}

/** What the bridge did since the hub started, for diagnostics. */
export interface PalmBridgeStats {
  /** Bridge processes started. */
  starts: number;
  /** Usable scans delivered. */
  scans: number;
  statuses: number;
  /** `error` messages from the bridge. */
  bridgeErrors: number;
  /** Bad lines by kind: each dropped, counted, logged at most once a minute per kind. */
  notJson: number;
  tooLong: number;
  unknownType: number;
  badMessage: number;
  badHandle: number;
  flood: number;
  /** Connections from a bridge (one per run). */
  connections: number;
  /** Connections to the socket beyond the bridge's one. */
  refusedConnections: number;
  pings: number;
  pongs: number;
  /** The bridge's last reported state while a bridge is connected. */
  state: BridgeState | undefined;
  bridge: PalmBridgeIdentity | undefined;
  /** Bytes of the line being received; never above MAX_LINE_BYTES. */
  pendingBytes: number;
}

type BadKind = LineProblemKind | 'tooLong' | 'flood';
type Counters = Omit<PalmBridgeStats, 'state' | 'bridge' | 'pendingBytes'>;

interface Run {
  server: Server;
  child: ChildProcess | undefined;
  /** Resolves once the bridge process is gone (or never started). */
  exited: Promise<void>;
  socket: Socket | undefined;
  /** What the run waits for next: hello, then the first status; then it is open. */
  phase: 'hello' | 'status' | 'open';
  ended: boolean;
  /** Settles `open()`; dropped once settled. */
  starting: { resolve: () => void; reject: (error: Error) => void } | undefined;
  ready: Promise<void>;
  /** Listening and spawning; stopping waits for it, so nothing starts after the stop. */
  started: Promise<void>;
  /** Running or done once the run ended: what close() awaits. */
  stopping: Promise<void> | undefined;
  timers: { ready?: TimerHandle; ping?: TimerHandle; pong?: TimerHandle; exitWait?: TimerHandle };
  socketError: string | undefined;
  /** The socket file at the path is this run's. */
  listening: boolean;
}

export class PalmBridge implements ScannerLink {
  readonly id: string;
  readonly #command: readonly [string, ...string[]];
  readonly #socketPath: string;
  readonly #clock: Clock;
  readonly #env: Record<string, string> | undefined;
  readonly #cwd: string | undefined;
  readonly #tuning: PalmBridgeTuning;
  readonly #log: Logger | undefined;
  readonly #quiet: QuietLog | undefined;
  /** The bridge's own `error` messages: a few more of them get through. */
  readonly #bridgeLog: QuietLog | undefined;
  readonly #data = new Listeners<Scan>();
  readonly #lost = new Listeners<string>();
  readonly #stats: Counters = {
    starts: 0,
    scans: 0,
    statuses: 0,
    bridgeErrors: 0,
    notJson: 0,
    tooLong: 0,
    unknownType: 0,
    badMessage: 0,
    badHandle: 0,
    flood: 0,
    connections: 0,
    refusedConnections: 0,
    pings: 0,
    pongs: 0,
  };
  #state: BridgeState | undefined;
  #bridge: PalmBridgeIdentity | undefined;
  #run: Run | undefined;

  // The line being received. Allocated once: a bridge that never sends a newline cannot grow it.
  readonly #line = Buffer.alloc(MAX_LINE_BYTES);
  #lineLength = 0;
  /** An overlong line, already counted: bytes are dropped until its newline. */
  #overflow = false;
  #rateWindowStart = 0;
  #rateCount = 0;
  #badWindowStart = 0;
  #badCount = 0;

  constructor(options: PalmBridgeOptions) {
    this.id = options.id;
    this.#command = options.command;
    this.#socketPath = options.socketPath;
    this.#clock = options.clock;
    this.#env = options.env;
    this.#cwd = options.cwd;
    this.#tuning = { ...defaultPalmBridgeTuning, ...options.tuning };
    this.#log = options.log?.child({ scanner: options.id });
    this.#quiet = this.#log && new QuietLog(this.#log, options.clock);
    this.#bridgeLog = this.#log && new QuietLog(this.#log, options.clock, 60_000, 5);
  }

  /**
   * Starts the bridge and resolves once it said hello and reported itself ready (or busy); rejects
   * with the reason when it cannot be started, does not speak protocol 1, reports a fault, or is not
   * ready within readyTimeoutMs. A rejected open leaves no process and no socket behind.
   */
  async open(): Promise<void> {
    const current = this.#run;
    if (current && !current.ended) return current.ready;
    if (current) await this.close();
    const run = this.#newRun();
    this.#run = run;
    this.#stats.starts++;
    run.timers.ready = this.#clock.setTimeout(
      () => this.#end(run, this.#notReady(run)),
      this.#tuning.readyTimeoutMs,
    );
    run.started = this.#start(run).catch((error: Error) => this.#end(run, error.message));
    try {
      await run.ready;
    } catch (error) {
      await run.stopping;
      throw error;
    }
  }

  /** Stops the bridge (SIGTERM, then SIGKILL after stopGraceMs) and removes the socket; never rejects. */
  async close(): Promise<void> {
    const run = this.#run;
    if (!run) return;
    this.#run = undefined;
    this.#end(run, 'the palm bridge was closed while starting');
    await run.stopping;
  }

  onData(listener: (scan: Scan) => void): () => void {
    return this.#data.add(listener);
  }

  onLost(listener: (reason: string) => void): () => void {
    return this.#lost.add(listener);
  }

  get stats(): Readonly<PalmBridgeStats> {
    return { ...this.#stats, state: this.#state, bridge: this.#bridge, pendingBytes: this.#lineLength };
  }

  /** The bridge process of the current run, for diagnostics and tests; undefined when none runs. */
  get pid(): number | undefined {
    const run = this.#run;
    return run && !run.ended ? run.child?.pid : undefined;
  }

  #newRun(): Run {
    let starting: Run['starting'];
    const ready = new Promise<void>((resolve, reject) => {
      starting = { resolve, reject };
    });
    // A rejection nobody awaits yet (close() while starting) must not be an unhandled one.
    ready.catch(() => {});
    this.#state = undefined;
    this.#bridge = undefined;
    this.#lineLength = 0;
    this.#overflow = false;
    this.#badCount = 0;
    return {
      server: createServer(),
      child: undefined,
      exited: Promise.resolve(),
      socket: undefined,
      phase: 'hello',
      ended: false,
      starting,
      ready,
      started: Promise.resolve(),
      stopping: undefined,
      timers: {},
      socketError: undefined,
      listening: false,
    };
  }

  async #start(run: Run): Promise<void> {
    // Before listening: no connection may arrive unseen.
    run.server.on('connection', (socket) => this.#accept(run, socket));
    await this.#listen(run);
    if (run.ended) return;
    run.server.on('error', (error) => this.#end(run, `the palm bridge socket failed: ${error.message}`));
    const [program, ...args] = this.#command;
    const child = spawn(program, args, {
      stdio: 'ignore',
      shell: false,
      cwd: this.#cwd,
      env: this.#childEnv(),
    });
    run.child = child;
    run.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve();
        this.#end(run, exitReason(code, signal));
      });
      child.on('error', (error) => {
        // Also emitted when a signal cannot be sent; only a failed spawn leaves no pid.
        /* c8 ignore next: kill() failing on a live child of our own cannot be provoked */
        if (child.pid !== undefined) return;
        resolve();
        this.#end(run, `cannot start the palm bridge ${program}: ${error.message}`);
      });
    });
  }

  /** Listens at the socket path (palm-bridge-socket.ts), and says so in the run. */
  async #listen(run: Run): Promise<void> {
    await listenForBridge(run.server, this.#socketPath);
    run.listening = true;
  }

  #childEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const key of INHERITED_ENV) {
      const value = process.env[key];
      if (value !== undefined) env[key] = value;
    }
    return { ...env, ...this.#env, [PALM_SOCKET_ENV]: this.#socketPath, [PALM_SCANNER_ENV]: this.id };
  }

  #accept(run: Run, socket: Socket): void {
    if (run.socket || run.ended) {
      this.#stats.refusedConnections++;
      this.#quiet?.warn(
        'refused',
        { stats: this.stats },
        'a second connection to the palm bridge socket was refused: one bridge, one connection',
      );
      socket.destroy();
      return;
    }
    run.socket = socket;
    this.#stats.connections++;
    socket.on('data', (chunk: Buffer) => this.#receive(run, chunk));
    // 'close' follows every 'error'; the error only adds its code to the reason.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      run.socketError = error.code;
    });
    socket.on('close', () => {
      if (run.ended) return;
      const reason = `the palm bridge closed its connection${run.socketError ? ` (${run.socketError})` : ''}`;
      // Its exit status, if it is exiting, says more; wait a moment for it.
      run.timers.exitWait = this.#clock.setTimeout(() => this.#end(run, reason), this.#tuning.exitWaitMs);
    });
  }

  #receive(run: Run, chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length && !run.ended) {
      const lf = chunk.indexOf(0x0a, start);
      const end = lf === -1 ? chunk.length : lf;
      this.#append(run, chunk, start, end);
      if (lf === -1) return;
      this.#endLine(run);
      start = lf + 1;
    }
  }

  #append(run: Run, chunk: Buffer, start: number, end: number): void {
    if (this.#overflow || start === end) return;
    if (this.#lineLength + (end - start) > MAX_LINE_BYTES) {
      // Counted now, not at the newline: a bridge that never sends one is still heard.
      this.#overflow = true;
      this.#lineLength = 0;
      if (this.#admit(run))
        this.#bad(run, 'tooLong', `a line longer than ${MAX_LINE_BYTES} bytes (dropped up to its newline)`);
      return;
    }
    chunk.copy(this.#line, this.#lineLength, start, end);
    this.#lineLength += end - start;
  }

  #endLine(run: Run): void {
    let length = this.#lineLength;
    this.#lineLength = 0;
    if (this.#overflow) {
      this.#overflow = false;
      return;
    }
    if (length > 0 && this.#line[length - 1] === 0x0d) length--;
    if (length === 0) return; // a blank line: nothing said, nothing wrong
    if (!this.#admit(run)) return;
    const parsed = parseBridgeLine(this.#line.toString('utf8', 0, length));
    if (!parsed.ok) this.#bad(run, parsed.kind, parsed.problem);
    else if (run.phase === 'hello') this.#greet(run, parsed.message);
    else this.#handle(run, parsed.message);
  }

  /** Counts a line against the flood limit; false when it is one too many this second. */
  #admit(run: Run): boolean {
    const now = this.#clock.now();
    if (now - this.#rateWindowStart >= 1000) {
      this.#rateWindowStart = now;
      this.#rateCount = 0;
    }
    if (++this.#rateCount <= this.#tuning.maxLinesPerSecond) return true;
    this.#bad(run, 'flood', `more than ${this.#tuning.maxLinesPerSecond} lines in a second (a flood)`);
    return false;
  }

  /** The first line must be a hello in protocol 1; anything else ends the start with the reason (bad lines: #bad). */
  #greet(run: Run, message: BridgeMessage): void {
    if (message.type !== 'hello') {
      this.#end(run, `the palm bridge sent ${message.type} before hello`);
    } else if (message.protocol !== PALM_BRIDGE_PROTOCOL) {
      this.#end(
        run,
        `the palm bridge speaks protocol ${message.protocol}; this hub speaks protocol ${PALM_BRIDGE_PROTOCOL}`,
      );
    } else {
      const { vendor, model, bridgeVersion } = message;
      this.#bridge = { vendor, model, bridgeVersion };
      run.phase = 'status';
      this.#log?.info({ bridge: this.#bridge }, 'palm bridge connected');
    }
  }

  #handle(run: Run, message: BridgeMessage): void {
    switch (message.type) {
      case 'hello':
        this.#bad(run, 'badMessage', 'a second hello');
        return;
      case 'status':
        this.#stats.statuses++;
        this.#state = message.state;
        if (message.state === 'fault')
          this.#end(run, `the palm scanner reports a fault: ${message.detail || 'no detail given'}`);
        else if (run.phase === 'status') this.#ready(run);
        return;
      case 'scan':
        if (run.phase === 'status') this.#bad(run, 'badMessage', 'a scan before its first status');
        else this.#deliver(run, message.handle, message.at);
        return;
      case 'error':
        this.#stats.bridgeErrors++;
        this.#bridgeLog?.warn(
          'bridge-error',
          { code: message.code, detail: message.message },
          'the palm bridge reports an error',
        );
        return;
      case 'pong':
        this.#stats.pongs++;
        this.#clear(run, 'pong');
        return;
    }
  }

  #ready(run: Run): void {
    run.phase = 'open';
    this.#clear(run, 'ready');
    run.timers.ping = this.#clock.setInterval(() => this.#ping(run), this.#tuning.pingIntervalMs);
    const starting = run.starting;
    run.starting = undefined;
    starting?.resolve();
  }

  #ping(run: Run): void {
    if (run.timers.pong !== undefined) return;
    this.#stats.pings++;
    run.socket?.write('{"type":"ping"}\n');
    const seconds = this.#tuning.pongTimeoutMs / 1000;
    run.timers.pong = this.#clock.setTimeout(
      () => this.#end(run, `the palm bridge did not answer a ping within ${seconds} s (is it hung?)`),
      this.#tuning.pongTimeoutMs,
    );
  }

  #deliver(run: Run, handle: string, at: number | undefined): void {
    const now = this.#clock.now();
    const believable = at !== undefined && at >= now - MAX_SCAN_AGE_MS && at <= now + MAX_SCAN_LEAD_MS;
    const scan: Scan = { credential: new Secret(handle), at: believable ? Math.min(at, now) : now };
    this.#stats.scans++;
    this.#data.emit(scan, () => !run.ended && this.#run === run);
  }

  /** Counts and drops a bad line; enough of them within badWindowMs end the run. Before hello, one ends it. */
  #bad(run: Run, kind: BadKind, problem: string): void {
    this.#stats[kind]++;
    if (run.phase === 'hello') {
      this.#end(run, `the palm bridge did not start with a hello: it sent ${problem}`);
      return;
    }
    this.#quiet?.warn(kind, { problem: kind, stats: this.stats }, `the palm bridge sent ${problem}: dropped`);
    const now = this.#clock.now();
    if (now - this.#badWindowStart >= this.#tuning.badWindowMs) {
      this.#badWindowStart = now;
      this.#badCount = 0;
    }
    if (++this.#badCount >= this.#tuning.maxBadLines)
      this.#end(
        run,
        `the palm bridge sent too much bad input (${this.#badCount} bad lines within ${this.#tuning.badWindowMs / 1000} s, the last ${problem})`,
      );
  }

  #notReady(run: Run): string {
    const seconds = this.#tuning.readyTimeoutMs / 1000;
    if (!run.socket) return `the palm bridge did not connect within ${seconds} s`;
    if (run.phase === 'hello') return `the palm bridge did not say hello within ${seconds} s`;
    return `the palm bridge did not report its status within ${seconds} s`;
  }

  /** Ends a run once: open() rejects with the reason, or (once open) `onLost` hears it. Stopping starts at once. */
  #end(run: Run, reason: string): void {
    if (run.ended) return;
    run.ended = true;
    const starting = run.starting;
    run.starting = undefined;
    run.stopping = this.#stop(run);
    this.#state = undefined;
    if (starting) {
      starting.reject(new Error(reason));
      return;
    }
    if (this.#run !== run) return; // closed: nobody is to be told
    this.#quiet?.warn(
      'lost',
      { reason, stats: this.stats },
      'palm bridge lost; it is restarted with backoff',
    );
    this.#lost.emit(reason);
  }

  async #stop(run: Run): Promise<void> {
    await run.started;
    for (const key of ['ready', 'ping', 'pong', 'exitWait'] as const) this.#clear(run, key);
    run.socket?.destroy();
    await new Promise<void>((resolve) => run.server.close(() => resolve()));
    const child = run.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const grace = this.#clock.setTimeout(() => child.kill('SIGKILL'), this.#tuning.stopGraceMs);
      await run.exited;
      this.#clock.clearTimeout(grace);
    }
    // Only what this run made: a file in the way that was not ours stays where it is.
    if (run.listening) await rm(this.#socketPath, { force: true }).catch(() => {});
  }

  #clear(run: Run, key: keyof Run['timers']): void {
    const timer = run.timers[key];
    if (timer === undefined) return;
    if (key === 'ping') this.#clock.clearInterval(timer);
    else this.#clock.clearTimeout(timer);
    run.timers[key] = undefined;
  }
}

function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `the palm bridge was killed by ${signal}` : `the palm bridge exited with code ${code}`;
}
