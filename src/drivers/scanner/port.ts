// A credential scanner (QR or palm) as a stream of scans.

import type { Secret } from '../../system/secret.js';
import type { DeviceLink } from '../link.js';

/**
 * Why a scanner's read cannot be a credential at all, found by the driver before anyone looks at it:
 * `too_long` (more bytes than the profile allows before the terminator), `binary` (bytes that no QR
 * token has: control characters or non-ASCII), `empty` (a terminator alone).
 */
export type ScanProblem = 'too_long' | 'binary' | 'empty';

export interface Scan {
  /** What the scanner read: a QR payload or an opaque palm handle. Never logged. */
  credential: Secret;
  /** Milliseconds since the epoch when the last byte arrived. */
  at: number;
  /** Set when the read is unusable; `credential` then holds what was read (possibly cut short). */
  problem?: ScanProblem;
}

export type ScannerLink = DeviceLink<Scan>;
