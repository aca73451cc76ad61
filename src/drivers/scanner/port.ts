// A credential scanner (QR or palm) as a stream of scans.

import type { Secret } from '../../system/secret.js';
import type { DeviceLink } from '../link.js';

export interface Scan {
  /** What the scanner read: a QR payload or an opaque palm handle. Never logged. */
  credential: Secret;
  /** Milliseconds since the epoch when the last byte arrived. */
  at: number;
}

export type ScannerLink = DeviceLink<Scan>;
