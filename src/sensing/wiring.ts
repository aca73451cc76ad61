// A shelf's plates can be wired to channels of several boards, which sample on their own clocks.
// The shelf's samples follow its first board (the lead); plates on other boards hold their latest
// reading, and a reading older than `staleMs` counts as missing (NaN) rather than as a flat line.
import type { BoardSamples, ShelfSamples } from './types.js';

/** A plate's wire: which board, which channel of it. */
export interface PlateWire {
  board: string;
  channel: number;
}

export class ShelfWiring {
  readonly plates: number;
  readonly lead: string;
  readonly boards: readonly string[];
  readonly #wires: readonly PlateWire[];
  readonly #staleMs: number;
  /** Latest reading and its time, per plate, for plates on boards other than the lead. */
  readonly #held: Float32Array;
  readonly #heldAt: Float64Array;
  readonly #identity: boolean;

  constructor(wires: readonly PlateWire[], staleMs = 500) {
    if (wires.length === 0) throw new RangeError('a shelf needs at least one plate');
    this.#wires = wires;
    this.plates = wires.length;
    this.lead = (wires[0] as PlateWire).board;
    this.boards = [...new Set(wires.map((w) => w.board))];
    this.#staleMs = staleMs;
    this.#held = new Float32Array(wires.length).fill(Number.NaN);
    this.#heldAt = new Float64Array(wires.length).fill(Number.NEGATIVE_INFINITY);
    this.#identity = wires.every((w, i) => w.board === this.lead && w.channel === i);
  }

  /** Takes a board's samples; returns the shelf's samples when they come from the lead board. */
  push(batch: BoardSamples): ShelfSamples | undefined {
    const n = Math.floor(batch.values.length / batch.channels);
    if (batch.boardId !== this.lead) {
      this.#hold(batch, n);
      return undefined;
    }
    if (this.#identity && batch.channels === this.plates)
      return { t0: batch.t0, rateHz: batch.rateHz, channels: this.plates, values: batch.values };
    const values = new Float32Array(n * this.plates);
    const step = 1000 / batch.rateHz;
    for (let p = 0; p < this.plates; p++) {
      const wire = this.#wires[p] as PlateWire;
      if (wire.board === this.lead) {
        const c = wire.channel;
        for (let i = 0; i < n; i++)
          values[i * this.plates + p] =
            c < batch.channels ? (batch.values[i * batch.channels + c] as number) : NaN;
      } else {
        const held = this.#held[p] as number;
        const heldAt = this.#heldAt[p] as number;
        for (let i = 0; i < n; i++)
          values[i * this.plates + p] = batch.t0 + i * step - heldAt <= this.#staleMs ? held : Number.NaN;
      }
    }
    return { t0: batch.t0, rateHz: batch.rateHz, channels: this.plates, values };
  }

  #hold(batch: BoardSamples, n: number): void {
    if (n === 0) return;
    const last = n - 1;
    const at = batch.t0 + (last * 1000) / batch.rateHz;
    for (let p = 0; p < this.plates; p++) {
      const wire = this.#wires[p] as PlateWire;
      if (wire.board !== batch.boardId) continue;
      this.#held[p] =
        wire.channel < batch.channels ? (batch.values[last * batch.channels + wire.channel] as number) : NaN;
      this.#heldAt[p] = at;
    }
  }
}
