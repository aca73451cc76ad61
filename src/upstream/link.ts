// One hub's WebSocket connection as the upstream sees it: whether it said hello, how many bad frames
// it sent lately, whether it still answers pings, and the commands waiting for its answer.
import type WebSocket from 'ws';
import { InvalidFrames } from '../events/wire.js';
import type { CommandResultFrame } from './frames.js';

/** A hub that misses this many pings in a row is taken for dead. */
const maxMissedPongs = 2;

/** Why a command got no result: the hub is not connected, did not answer in time, or went away. */
export class CommandError extends Error {
  constructor(
    readonly code: 'not_connected' | 'timeout' | 'disconnected' | 'closing',
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

interface WaitingCommand {
  name: string;
  resolve: (r: CommandResultFrame) => void;
  reject: (err: CommandError) => void;
  timer: NodeJS.Timeout;
}

export class HubLink {
  hubId: string | undefined;
  /** Set once this link was closed because a newer one took its hub. */
  replaced = false;
  readonly ackTimers = new Set<NodeJS.Timeout>();
  readonly #invalid = new InvalidFrames();
  #missedPongs = 0;
  readonly #waiting = new Map<string, WaitingCommand>();

  constructor(
    readonly ws: WebSocket,
    readonly peer: string,
  ) {}

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Who this link is, for the print and logs: the hub once it said hello, else its address. */
  get who(): string {
    return this.hubId ?? this.peer;
  }

  send(frame: object): void {
    if (this.open) this.ws.send(JSON.stringify(frame));
  }

  /** Starts the close handshake, with the reason cut to the 123 bytes a close frame can carry. */
  close(code: number, reason: string): void {
    let cut = reason;
    while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1);
    if (this.ws.readyState === this.ws.CONNECTING || this.ws.readyState === this.ws.OPEN)
      this.ws.close(code, cut);
  }

  /** Records an invalid frame; returns how many arrived within the abuse window, this one included. */
  noteInvalid(now: number): number {
    return this.#invalid.note(now);
  }

  /** Any sign of life from the hub (a frame, a ping, a pong) proves it is there. */
  alive(): void {
    this.#missedPongs = 0;
  }

  /** Called once per ping period: terminates a hub that missed too many pongs, else pings it. */
  pingOrTerminate(): void {
    if (this.#missedPongs >= maxMissedPongs) {
      this.ws.terminate();
      return;
    }
    this.#missedPongs++;
    this.ws.ping();
  }

  /** Waits for the command.result with `id`; rejects with CommandError on timeout. */
  awaitResult(id: string, name: string, timeoutMs: number): Promise<CommandResultFrame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new CommandError('timeout', `hub ${this.who} did not answer ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, { name, resolve, reject, timer });
    });
  }

  /** Hands a command.result to its waiter; returns the command's name, or undefined when nobody waits (late). */
  settle(result: CommandResultFrame): string | undefined {
    const waiting = this.#waiting.get(result.id);
    if (!waiting) return undefined;
    this.#waiting.delete(result.id);
    clearTimeout(waiting.timer);
    waiting.resolve(result);
    return waiting.name;
  }

  /** Fails every waiting command and stops pending acks; the link is gone. */
  closed(err: CommandError): void {
    for (const w of this.#waiting.values()) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.#waiting.clear();
    for (const t of this.ackTimers) clearTimeout(t);
    this.ackTimers.clear();
  }
}
