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

/**
 * What a Newland scanner in HID POS mode sends for `code` ("code-id-trailer" reports): 64 bytes each,
 * up to 56 data bytes, the code id in byte 62 and "continued" in byte 63.
 */
export function newlandPosReports(code: string, codeId = 'Q', reportId = 2): Uint8Array[] {
  const data = Buffer.from(code, 'latin1');
  const reports: Uint8Array[] = [];
  for (let i = 0; i === 0 || i < data.length; i += 56) {
    const chunk = data.subarray(i, i + 56);
    const r = new Uint8Array(64);
    r[0] = reportId;
    r[1] = chunk.length;
    r.set(chunk, 2);
    r[62] = codeId.charCodeAt(0);
    r[63] = i + 56 < data.length ? 1 : 0;
    reports.push(r);
  }
  return reports;
}
