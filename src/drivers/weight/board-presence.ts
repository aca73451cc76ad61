// Whether a board on an open port is there: online with its first valid line or reply, offline once it
// has been quiet for a while. Shared by the serial weight drivers so every board reads the same way.
import type { Clock, TimerHandle } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import type { BoardStatus } from './port.js';

/** How a board's status reads: "streaming" / "silent for 1 s", or "answering" / "not answering for 1 s". */
export interface PresenceWords {
  online: string;
  silent: string;
}

export class BoardPresence {
  readonly #boardId: string;
  readonly #clock: Clock;
  readonly #silenceMs: number;
  readonly #log: Logger;
  readonly #report: (status: BoardStatus) => void;
  readonly #words: PresenceWords;
  #online: boolean | undefined;
  #lastHeard = 0;
  #timer: TimerHandle | undefined;
  /** Malformed lines since the last valid one, for the reason given when going offline. */
  malformed = 0;

  /** Reports changes through `report`; `silenceMs` without a valid line makes the board offline. */
  constructor(
    boardId: string,
    clock: Clock,
    silenceMs: number,
    log: Logger,
    report: (status: BoardStatus) => void,
    words: PresenceWords = { online: 'streaming', silent: 'silent' },
  ) {
    this.#words = words;
    this.#boardId = boardId;
    this.#clock = clock;
    this.#silenceMs = silenceMs;
    this.#log = log;
    this.#report = report;
  }

  /** The port opened: no verdict until the board is heard or the silence runs out. */
  start(): void {
    this.stop();
    this.#online = undefined;
    this.malformed = 0;
    this.#lastHeard = this.#clock.now();
    this.#arm(this.#silenceMs);
  }

  /** The port closed or was lost: no more verdicts until the next start. */
  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A valid line or reply arrived. */
  heard(): void {
    this.#lastHeard = this.#clock.now();
    this.malformed = 0;
    if (this.#online !== true) this.#set(true, this.#words.online);
    // An offline board has no timer running; hearing it starts watching again.
    if (this.#timer === undefined) this.#arm(this.#silenceMs);
  }

  #arm(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => this.#check(), ms);
  }

  #check(): void {
    const quietFor = this.#clock.now() - this.#lastHeard;
    if (quietFor < this.#silenceMs) {
      this.#arm(this.#silenceMs - quietFor);
      return;
    }
    this.#timer = undefined;
    const seconds = `${this.#silenceMs / 1000} s`;
    const bad = this.malformed;
    this.#set(
      false,
      bad > 0 ? `only malformed lines for ${seconds} (${bad})` : `${this.#words.silent} for ${seconds}`,
    );
  }

  #set(online: boolean, reason: string): void {
    this.#online = online;
    if (online) this.#log.info('board online');
    else this.#log.warn({ reason }, 'board offline');
    this.#report({ boardId: this.#boardId, online, reason });
  }
}
