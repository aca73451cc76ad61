// A HID report decoder under test: what it delivered and complained about, and reports fed on a
// clock the test moves (1 ms apart unless said otherwise).
import type { HidScan, HidTrouble } from '../../src/drivers/scanner/hid-code.js';

interface Decoder {
  decode(report: Uint8Array, at: number): void;
}

export const T0 = Date.UTC(2025, 0, 1);

/** `make` builds the decoder around the two listeners the rig records into. */
export function decoderRig<D extends Decoder>(
  make: (onScan: (scan: HidScan) => void, onTrouble: (trouble: HidTrouble) => void) => D,
) {
  const scans: HidScan[] = [];
  const troubles: HidTrouble[] = [];
  const decoder = make(
    (scan) => scans.push(scan),
    (trouble) => troubles.push(trouble),
  );
  let now = T0;
  const send = (reports: Uint8Array[], stepMs = 1) => {
    for (const r of reports) {
      decoder.decode(r, now);
      now += stepMs;
    }
  };
  const wait = (ms: number) => {
    now += ms;
  };
  const read = () => scans.map((s) => [s.credential.reveal(), s.problem ?? 'ok']);
  return { decoder, scans, troubles, send, wait, read, now: () => now };
}
