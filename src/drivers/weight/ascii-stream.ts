// A load-cell board that streams `ascii-stream v1` lines on its own serial port (docs/devices.md):
// lines become batches of samples timed by the board's sequence numbers, and silence or garbage
// becomes a board going offline, never an exception.

import { z } from 'zod';
import type { Clock } from '../../system/clock.js';
import type { SerialTransport } from '../serial/transport.js';
import { AsciiStreamParser } from './ascii-stream-parser.js';
import { BoardPresence } from './board-presence.js';
import { BusBase, type OneBoardBusOptions } from './bus-base.js';
import type { BoardBatch, BusCounters, WeightBus } from './port.js';
import { emptyCounters } from './port.js';
import { QuietLog } from './quiet-log.js';
import { SampleTimeline } from './sample-timeline.js';
import { serialDefaultsSchema } from './serial-profile.js';

export const asciiStreamProfileSchema = z
  .strictObject({
    protocol: z.literal('ascii-stream'),
    model: z.string().min(1).max(100).describe('Manufacturer and model, as on the board'),
    description: z.string().min(1).describe('What hardware this fits and how it is wired'),
    channels: z.number().int().min(1).max(64).describe('Values per line, one per load cell'),
    unit: z
      .enum(['grams', 'counts'])
      .describe('"counts": raw ADC readings the shelf calibration turns into grams'),
    gramsPerCount: z
      .number()
      .positive()
      .optional()
      .describe('Nominal scale of raw counts, before calibration'),
    range: z
      .strictObject({ min: z.number(), max: z.number() })
      .refine((r) => r.min < r.max, 'min must be below max')
      .describe('Readings outside it are a fault (a saturated ADC, a broken wire) and become NaN'),
    sampleRateHz: z.number().min(1).max(200).describe('Lines per second the board sends by default'),
    serial: serialDefaultsSchema,
    zeroCommand: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('Line that zeroes (tares) the board; "\\n" is added unless it ends in one'),
  })
  .refine((p) => p.unit === 'counts' || p.gramsPerCount === undefined, {
    path: ['gramsPerCount'],
    message: 'only for unit "counts"',
  });

export type AsciiStreamProfile = z.output<typeof asciiStreamProfileSchema>;

export type AsciiStreamBusOptions = OneBoardBusOptions<AsciiStreamProfile>;

/** One streaming board on its own port, as a WeightBus. */
export class AsciiStreamBus extends BusBase implements WeightBus {
  readonly id: string;
  readonly #transport: SerialTransport;
  readonly #boardId: string;
  readonly #profile: AsciiStreamProfile;
  readonly #clock: Clock;
  readonly #quiet: QuietLog;
  readonly #messages: QuietLog;
  readonly #parser: AsciiStreamParser;
  readonly #timeline: SampleTimeline;
  readonly #presence: BoardPresence;
  readonly #counters = emptyCounters();
  #open = false;
  // The samples of the chunk being parsed: runs of consecutive lines, values interleaved in #scratch.
  #scratch: Float32Array;
  #samples = 0;
  #lastPosition = 0;
  readonly #runStarts: number[] = [];
  readonly #runOffsets: number[] = [];

  constructor(options: AsciiStreamBusOptions) {
    super();
    const { profile } = options;
    this.id = options.id;
    this.#transport = options.transport;
    this.port = options.transport;
    this.#boardId = options.board.id;
    this.#profile = profile;
    this.#clock = options.clock;
    const log = options.log.child({ board: options.board.id });
    this.#quiet = new QuietLog(log, options.clock);
    this.#messages = new QuietLog(log, options.clock, 10_000, 5);
    const rateHz = options.board.sampleRateHz ?? profile.sampleRateHz;
    this.#timeline = new SampleTimeline(rateHz);
    this.#presence = new BoardPresence(
      this.#boardId,
      options.clock,
      Math.max(1000, 10_000 / rateHz),
      log,
      (s) => {
        this.emitStatus(s);
      },
    );
    this.#scratch = new Float32Array(64 * profile.channels);
    this.#parser = new AsciiStreamParser(profile, {
      sample: (seq, values, rejected) => this.#sample(seq, values, rejected),
      message: (text) => this.#messages.info('message', { message: text }, 'board says'),
      malformed: (reason, line) => {
        this.#counters.malformed++;
        this.#presence.malformed++;
        this.#quiet.warn('malformed', { reason, line }, 'malformed line dropped');
      },
    });
    this.#transport.onData((chunk) => this.#receive(chunk));
    this.#transport.onLost((reason) => this.#lose(reason));
  }

  async open(): Promise<void> {
    if (this.#open) return;
    this.#parser.reset();
    this.#timeline.reset();
    await this.#transport.open();
    this.#open = true;
    this.#presence.start();
  }

  async close(): Promise<void> {
    this.#stop();
    await this.#transport.close();
  }

  counters(): Readonly<BusCounters> {
    return { ...this.#counters };
  }

  async zero(boardId: string): Promise<void> {
    if (boardId !== this.#boardId) throw new Error(`no board ${boardId} on ${this.id}`);
    const command = this.#profile.zeroCommand;
    if (command === undefined)
      throw new Error(`board ${boardId} (${this.#profile.model}) has no zero command; tare it at the shelf`);
    await this.#transport.write(new TextEncoder().encode(command.endsWith('\n') ? command : `${command}\n`));
  }

  #stop(): void {
    this.#open = false;
    this.#presence.stop();
  }

  #lose(reason: string): void {
    if (!this.#open) return;
    this.#stop();
    this.emitLost(reason);
  }

  #receive(chunk: Uint8Array): void {
    if (!this.#open) return;
    this.#samples = 0;
    this.#runStarts.length = 0;
    this.#runOffsets.length = 0;
    this.#parser.push(chunk);
    if (this.#samples === 0) return;
    const arrival = this.#clock.now();
    const settled = this.#timeline.settle(this.#lastPosition, arrival);
    if (settled === 'caught-up')
      this.#quiet.warn(
        'clock',
        {},
        'board samples lag their arrival by over 1 s (slow board clock?): re-timed',
      );
    const { channels } = this.#profile;
    const rateHz = this.#timeline.rateHz;
    for (let r = 0; r < this.#runStarts.length; r++) {
      const from = this.#runOffsets[r] as number;
      const to = this.#runOffsets[r + 1] ?? this.#samples;
      const batch: BoardBatch = {
        boardId: this.#boardId,
        t0: this.#timeline.time(this.#runStarts[r] as number),
        rateHz,
        channels,
        values: this.#scratch.slice(from * channels, to * channels),
      };
      this.emitData(batch, () => this.#open);
    }
    // A listener may have closed the bus.
    if (this.#open) this.#presence.heard();
  }

  #sample(seq: number, values: Float32Array, rejected: number): void {
    const timeline = this.#timeline;
    const position = timeline.next(seq);
    this.#counters.frames++;
    this.#counters.outOfRange += rejected;
    this.#counters.lostSamples += timeline.lost;
    if (timeline.broke)
      this.#quiet.warn('restart', { seq }, 'board sequence restarted (board reset?): re-timed');
    if (this.#samples === 0 || timeline.lost > 0 || timeline.broke) {
      this.#runStarts.push(position);
      this.#runOffsets.push(this.#samples);
    }
    const channels = this.#profile.channels;
    if ((this.#samples + 1) * channels > this.#scratch.length) {
      const grown = new Float32Array(this.#scratch.length * 2);
      grown.set(this.#scratch);
      this.#scratch = grown;
    }
    this.#scratch.set(values, this.#samples * channels);
    this.#samples++;
    this.#lastPosition = position;
  }
}
