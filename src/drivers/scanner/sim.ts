// A credential scanner on a simulated cable: the store (or a test) presents credentials to it.
import type { Clock } from '../../system/clock.js';
import { Secret } from '../../system/secret.js';
import { SimLink } from '../sim-link.js';
import type { Scan, ScannerLink } from './port.js';

export class SimScanner extends SimLink<Scan> implements ScannerLink {
  readonly id: string;
  readonly #clock: Clock;

  constructor(id: string, clock: Clock) {
    super();
    this.id = id;
    this.#clock = clock;
  }

  /** Someone holds a QR code or a palm to the scanner. Returns false when the scanner is not open. */
  present(credential: string): boolean {
    return this.deliver({ credential: new Secret(credential), at: this.#clock.now() });
  }
}
