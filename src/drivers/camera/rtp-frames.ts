// Counts the frames of one RTP video stream without decoding it. A frame is a run of packets that
// ends with the marker bit or, for senders that do not set it, when the RTP timestamp changes. The
// payload bytes of each frame are hashed, so a camera repeating one picture shows as frozen.
import { createHash, type Hash } from 'node:crypto';

export interface StreamMeasures {
  frames: number;
  /** Undefined with no frame. */
  fps: number | undefined;
  kbps: number;
  /** From the window's start to the first complete frame; undefined with no frame. */
  firstFrameMs: number | undefined;
  /** At least three frames, all with the same payload bytes. */
  frozen: boolean;
}

interface RtpPacket {
  marker: boolean;
  timestamp: number;
  payload: Buffer;
}

interface Frame {
  timestamp: number;
  hash: Hash;
  lastAt: number;
}

/** Counts the frames arriving from `start` (ms) on a stream whose timestamps tick `clockRate` a second. */
export class FrameCounter {
  readonly #start: number;
  readonly #clockRate: number;
  #bytes = 0;
  #frames = 0;
  #current: Frame | undefined;
  #firstAt = 0;
  #firstTimestamp = 0;
  #firstHash = '';
  #allSame = true;
  // RTP timestamps relative to the first frame's: they can run backwards (B-frames), and wrap.
  #lowest = 0;
  #highest = 0;

  constructor(start: number, clockRate: number) {
    this.#start = start;
    this.#clockRate = clockRate;
  }

  /** One packet from the stream's channel, arriving at `at`; anything that is not RTP video is ignored. */
  add(data: Buffer, at: number): void {
    const packet = parseRtp(data);
    if (!packet) return;
    this.#bytes += packet.payload.length;
    if (this.#current && this.#current.timestamp !== packet.timestamp) this.#complete(this.#current);
    this.#current ??= { timestamp: packet.timestamp, hash: createHash('sha256'), lastAt: at };
    this.#current.hash.update(packet.payload);
    this.#current.lastAt = at;
    if (packet.marker) this.#complete(this.#current);
  }

  /** The measures of the window from the start to `end`. */
  measures(end: number): StreamMeasures {
    const windowMs = Math.max(1, end - this.#start);
    const kbps = round((this.#bytes * 8) / windowMs);
    if (this.#frames === 0)
      return { frames: 0, fps: undefined, kbps, firstFrameMs: undefined, frozen: false };
    return {
      frames: this.#frames,
      fps: round(this.#fps(end, windowMs)),
      kbps,
      firstFrameMs: this.#firstAt - this.#start,
      frozen: this.#frames >= 3 && this.#allSame,
    };
  }

  // Frames over the time since the first one arrived (a camera that waits for a key frame before
  // sending is not slow), but never more than the camera stamped them at: a burst of buffered frames
  // at PLAY does not inflate the rate, and a stream held up on its way is not hidden by its timestamps.
  #fps(end: number, windowMs: number): number {
    if (this.#frames === 1) return 1000 / windowMs;
    const arrived = (this.#frames * 1000) / Math.max(1, end - this.#firstAt);
    const span = this.#highest - this.#lowest;
    const stamped = span > 0 ? ((this.#frames - 1) * this.#clockRate) / span : Number.POSITIVE_INFINITY;
    return Math.min(arrived, stamped);
  }

  #complete(frame: Frame): void {
    this.#current = undefined;
    const digest = frame.hash.digest('hex');
    this.#frames += 1;
    if (this.#frames === 1) {
      this.#firstAt = frame.lastAt;
      this.#firstTimestamp = frame.timestamp;
      this.#firstHash = digest;
      return;
    }
    if (digest !== this.#firstHash) this.#allSame = false;
    const relative = (frame.timestamp - this.#firstTimestamp) | 0;
    this.#lowest = Math.min(this.#lowest, relative);
    this.#highest = Math.max(this.#highest, relative);
  }
}

/** The payload of an RTP packet (RFC 3550), without CSRCs, extension and padding; undefined if not RTP. */
export function parseRtp(data: Buffer): RtpPacket | undefined {
  const first = data[0] ?? 0;
  if (data.length < 12 || first >> 6 !== 2) return undefined;
  const type = (data[1] as number) & 0x7f;
  // Payload types 72-76 are RTCP sharing the channel (RFC 5761).
  if (type >= 72 && type <= 76) return undefined;
  let offset = 12 + 4 * (first & 0x0f);
  if (first & 0x10) {
    if (data.length < offset + 4) return undefined;
    offset += 4 + 4 * data.readUInt16BE(offset + 2);
  }
  const end = first & 0x20 ? data.length - (data[data.length - 1] as number) : data.length;
  if (end < offset) return undefined;
  return {
    marker: ((data[1] as number) & 0x80) !== 0,
    timestamp: data.readUInt32BE(4),
    payload: data.subarray(offset, end),
  };
}

const round = (n: number) => Math.round(n * 10) / 10;
