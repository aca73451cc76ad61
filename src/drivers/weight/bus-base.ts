// What every weight bus does alike: keep its listeners (samples, the port lost, a board's status)
// and tell them. Each driver extends it and calls the emit methods.
import type { Clock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import { Listeners } from '../listeners.js';
import type { SerialTransport } from '../serial/transport.js';
import type { BoardBatch, BoardStatus } from './port.js';

/** What a bus of one board on its own port is built from (ascii-stream boards, MT-SICS scales). */
export interface OneBoardBusOptions<Profile> {
  /** The bus (port) id from the configuration. */
  id: string;
  transport: SerialTransport;
  /** The one board on the port; its rate defaults to the profile's. */
  board: { id: string; sampleRateHz?: number | undefined };
  profile: Profile;
  clock: Clock;
  log: Logger;
}

export abstract class BusBase {
  readonly #data = new Listeners<BoardBatch>();
  readonly #lost = new Listeners<string>();
  readonly #status = new Listeners<BoardStatus>();
  /** The serial port whose presence is the bus's, for a bus on one; set by the subclass. */
  protected port: Pick<SerialTransport, 'onPresence'> | undefined;

  onData(listener: (batch: BoardBatch) => void): () => void {
    return this.#data.add(listener);
  }

  onLost(listener: (reason: string) => void): () => void {
    return this.#lost.add(listener);
  }

  /** The port's presence (DeviceLink.onPresence); never called for a bus whose transport cannot tell. */
  onPresence(listener: (present: boolean) => void): () => void {
    return this.port?.onPresence?.(listener) ?? (() => {});
  }

  onBoardStatus(listener: (status: BoardStatus) => void): () => void {
    return this.#status.add(listener);
  }

  /** Tells each data listener, as long as `live()` holds: a listener may close the bus. */
  protected emitData(batch: BoardBatch, live: () => boolean = () => true): void {
    this.#data.emit(batch, live);
  }

  protected emitLost(reason: string): void {
    this.#lost.emit(reason);
  }

  protected emitStatus(status: BoardStatus): void {
    this.#status.emit(status);
  }
}
