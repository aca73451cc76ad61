// A Mettler Toledo scale or weigh module speaking MT-SICS, as a bus with one board of one channel.
// The hub polls `SI` (send weight immediately) at the profile's rate rather than starting `SIR`: the
// hub then sets the rate the shelf's sensing expects, each answer is matched to its question so a
// silent scale shows up as timeouts, and a zero command slots in between two polls instead of
// interrupting a stream. Replies: mt-sics-replies.ts; the manual's commands: docs/devices.md.

import { z } from 'zod';
import type { Clock, TimerHandle } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import type { SerialTransport } from '../serial/transport.js';
import { BoardPresence } from './board-presence.js';
import { BusBase, type OneBoardBusOptions } from './bus-base.js';
import { LineSplitter, parseSicsReply, type SicsReply } from './mt-sics-replies.js';
import type { BoardBatch, BoardStatus, BusCounters, WeightBus } from './port.js';
import { emptyCounters } from './port.js';
import { QuietLog } from './quiet-log.js';
import { serialDefaultsSchema } from './serial-profile.js';

export const mtSicsProfileSchema = z.strictObject({
  protocol: z.literal('mt-sics'),
  model: z.string().min(1).max(100).describe('Manufacturer and model, as on the scale'),
  description: z.string().min(1).describe('What hardware this fits and how it is set up'),
  sampleRateHz: z.number().min(0.5).max(50).describe('How often the hub asks for the weight (SI)'),
  resetOnOpen: z
    .boolean()
    .default(true)
    .describe('Send "@" on open: stops any running command, reads the serial'),
  replyTimeoutMs: z.number().int().min(20).max(10_000).default(500).describe('Wait this long for an answer'),
  zeroTimeoutMs: z
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(10_000)
    .describe('Z waits for a stable weight; give up after this long'),
  serial: serialDefaultsSchema,
});

export type MtSicsProfile = z.output<typeof mtSicsProfileSchema>;

export type MtSicsBusOptions = OneBoardBusOptions<MtSicsProfile>;

interface Request {
  command: 'SI' | '@' | 'Z';
  answeredBy: ReadonlySet<SicsReply['kind']>;
  sentAt: number;
  /** The answer (undefined: none came) and when it was most likely measured. */
  settle(reply: SicsReply | undefined, takenAt: number): void;
  /** The port closed or was lost before an answer. */
  abandon?(reason: string): void;
}

const ANSWERS: Record<Request['command'], ReadonlySet<SicsReply['kind']>> = {
  SI: new Set(['weight', 'busy', 'overload', 'underload', 'error']),
  '@': new Set(['reset', 'error']),
  Z: new Set(['zero', 'error']),
};

const ZERO_FAILURES: Record<string, string> = {
  busy: 'the scale could not zero (busy, or the weight was not stable in time)',
  'above-range': 'the load is above the zero range: clear the platform',
  'below-range': 'the load is below the zero range: is the platform in place?',
};

/** One MT-SICS scale on its own port, as a WeightBus. */
export class MtSicsBus extends BusBase implements WeightBus {
  readonly id: string;
  readonly #transport: SerialTransport;
  readonly #boardId: string;
  readonly #profile: MtSicsProfile;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #quiet: QuietLog;
  readonly #rateHz: number;
  readonly #presence: BoardPresence;
  readonly #lines: LineSplitter;
  readonly #counters = emptyCounters();
  #open = false;
  #poll: TimerHandle | undefined;
  #inFlight: { request: Request; timer: TimerHandle } | undefined;
  #queue: Request[] = [];

  constructor(options: MtSicsBusOptions) {
    super();
    this.id = options.id;
    this.#transport = options.transport;
    this.port = options.transport;
    this.#boardId = options.board.id;
    this.#profile = options.profile;
    this.#clock = options.clock;
    this.#log = options.log.child({ board: options.board.id });
    this.#quiet = new QuietLog(this.#log, options.clock);
    this.#rateHz = options.board.sampleRateHz ?? options.profile.sampleRateHz;
    const silenceMs = Math.max(1000, 10_000 / this.#rateHz, 2 * options.profile.replyTimeoutMs);
    const report = (s: BoardStatus) => {
      this.emitStatus(s);
    };
    const words = { online: 'answering', silent: 'not answering' };
    this.#presence = new BoardPresence(this.#boardId, options.clock, silenceMs, this.#log, report, words);
    this.#lines = new LineSplitter(
      256,
      (line) => this.#reply(line),
      () => this.#malformed('reply longer than 256 bytes', ''),
    );
    this.#transport.onData((chunk) => {
      if (this.#open) this.#lines.push(chunk);
    });
    this.#transport.onLost((reason) => {
      if (!this.#open) return;
      this.#stop(reason);
      this.emitLost(reason);
    });
  }

  async open(): Promise<void> {
    if (this.#open) return;
    this.#lines.reset();
    await this.#transport.open();
    this.#open = true;
    this.#presence.start();
    if (this.#profile.resetOnOpen) this.#enqueue('@', (reply) => this.#resetAnswered(reply));
    this.#poll = this.#clock.setInterval(() => this.#tick(), 1000 / this.#rateHz);
  }

  async close(): Promise<void> {
    this.#stop(`${this.id} was closed`);
    await this.#transport.close();
  }

  counters(): Readonly<BusCounters> {
    return { ...this.#counters };
  }

  /** Sends `Z` between two polls and resolves on `Z A`; rejects with what the scale said otherwise. */
  zero(boardId: string): Promise<void> {
    if (boardId !== this.#boardId) return Promise.reject(new Error(`no scale ${boardId} on ${this.id}`));
    if (!this.#open) return Promise.reject(new Error(`${this.id} is not open`));
    return new Promise((resolve, reject) => {
      const settle = (reply: SicsReply | undefined) => {
        if (reply?.kind === 'zero' && reply.outcome === 'done') resolve();
        else if (reply?.kind === 'zero') reject(new Error(ZERO_FAILURES[reply.outcome]));
        else if (reply?.kind === 'error') reject(new Error(`the scale refused Z (${reply.code})`));
        else
          reject(
            new Error(`the scale did not confirm the zero within ${this.#profile.zeroTimeoutMs / 1000} s`),
          );
      };
      this.#enqueue('Z', settle, (reason) => reject(new Error(`zero abandoned: ${reason}`)));
    });
  }

  #stop(reason: string): void {
    this.#open = false;
    this.#presence.stop();
    if (this.#poll !== undefined) this.#clock.clearInterval(this.#poll);
    this.#poll = undefined;
    const pending = [...this.#queue, ...(this.#inFlight ? [this.#inFlight.request] : [])];
    if (this.#inFlight) this.#clock.clearTimeout(this.#inFlight.timer);
    this.#inFlight = undefined;
    this.#queue = [];
    for (const request of pending) request.abandon?.(reason);
  }

  #enqueue(command: Request['command'], settle: Request['settle'], abandon?: Request['abandon']): void {
    this.#queue.push({ command, answeredBy: ANSWERS[command], sentAt: 0, settle, abandon });
    this.#sendNext();
  }

  #tick(): void {
    if (this.#inFlight || this.#queue.length > 0) return;
    this.#enqueue('SI', (reply, at) => this.#weighed(reply, at));
  }

  #sendNext(): void {
    if (!this.#open || this.#inFlight) return;
    const request = this.#queue.shift();
    if (!request) return;
    request.sentAt = this.#clock.now();
    const timeoutMs = request.command === 'Z' ? this.#profile.zeroTimeoutMs : this.#profile.replyTimeoutMs;
    const timer = this.#clock.setTimeout(() => this.#timedOut(request), timeoutMs);
    this.#inFlight = { request, timer };
    // A failed write means the port is going; its loss is reported through onLost.
    this.#transport.write(new TextEncoder().encode(`${request.command}\r\n`)).catch(() => undefined);
  }

  #timedOut(request: Request): void {
    this.#inFlight = undefined;
    this.#counters.timeouts++;
    this.#quiet.warn(`timeout-${request.command}`, { command: request.command }, 'scale did not answer');
    request.settle(undefined, this.#clock.now());
    this.#sendNext();
  }

  #reply(line: string): void {
    const reply = parseSicsReply(line);
    if (reply.kind === 'malformed') {
      this.#malformed(reply.reason, line);
      return;
    }
    this.#counters.frames++;
    this.#presence.heard();
    if (reply.kind === 'error') {
      this.#counters.deviceErrors++;
      this.#quiet.warn(
        `error-${reply.code}`,
        { code: reply.code, command: this.#inFlight?.request.command },
        ERRORS[reply.code],
      );
    }
    const inFlight = this.#inFlight;
    if (!inFlight?.request.answeredBy.has(reply.kind)) {
      // A late answer to a timed-out question, or leftovers of a command running before the reset.
      this.#log.debug({ line }, 'unsolicited reply ignored');
      return;
    }
    this.#clock.clearTimeout(inFlight.timer);
    this.#inFlight = undefined;
    // Measured between question and answer; the middle is the best guess, and never after the answer.
    inFlight.request.settle(reply, (inFlight.request.sentAt + this.#clock.now()) / 2);
    this.#sendNext();
  }

  #weighed(reply: SicsReply | undefined, takenAt: number): void {
    if (reply === undefined || reply.kind === 'error') {
      this.#counters.lostSamples++;
      return;
    }
    let grams = Number.NaN;
    if (reply.kind === 'weight') grams = reply.grams;
    else if (reply.kind === 'busy') this.#counters.deviceErrors++;
    else this.#counters.outOfRange++;
    const batch: BoardBatch = {
      boardId: this.#boardId,
      t0: takenAt,
      rateHz: this.#rateHz,
      channels: 1,
      values: Float32Array.of(grams),
    };
    this.emitData(batch, () => this.#open);
  }

  #resetAnswered(reply: SicsReply | undefined): void {
    if (reply?.kind === 'reset') this.#log.info({ serial: reply.serial }, 'scale reset');
  }

  #malformed(reason: string, line: string): void {
    this.#counters.malformed++;
    this.#presence.malformed++;
    this.#quiet.warn('malformed', { reason, line: line.slice(0, 80) }, 'malformed reply dropped');
  }
}

const ERRORS: Record<'ES' | 'ET' | 'EL', string> = {
  ES: 'scale reports a syntax error (ES): it does not know the command',
  ET: 'scale reports a transmission error (ET): check baud rate, parity and cabling',
  EL: 'scale reports a logical error (EL): the command is not allowed now',
};
