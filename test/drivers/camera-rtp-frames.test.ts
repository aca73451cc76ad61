// Frame counting on made-up RTP packets with made-up arrival times: no network, no clock.
import t from 'tap';
import { FrameCounter, parseRtp } from '../../src/drivers/camera/rtp-frames.js';

interface Packet {
  timestamp: number;
  marker?: boolean;
  payload?: Buffer;
  type?: number;
  csrcs?: number;
  extensionWords?: number;
  padding?: number;
}

function rtp({
  timestamp,
  marker = true,
  payload = Buffer.from('pic'),
  type = 96,
  csrcs = 0,
  extensionWords,
  padding = 0,
}: Packet): Buffer {
  const header = Buffer.alloc(12 + 4 * csrcs);
  header[0] = 0x80 | (extensionWords === undefined ? 0 : 0x10) | (padding > 0 ? 0x20 : 0) | csrcs;
  header[1] = (marker ? 0x80 : 0) | type;
  header.writeUInt32BE(timestamp >>> 0, 4);
  const extension = extensionWords === undefined ? Buffer.alloc(0) : Buffer.alloc(4 + 4 * extensionWords);
  if (extensionWords !== undefined) extension.writeUInt16BE(extensionWords, 2);
  const pad = Buffer.alloc(padding);
  if (padding > 0) pad[padding - 1] = padding;
  return Buffer.concat([header, extension, payload, pad]);
}

/** A camera at `fps` sending `frames` frames of `bytes` bytes, one packet each, from PLAY at 0 ms. */
function stream(
  counter: FrameCounter,
  frames: number,
  fps: number,
  { bytes = 1000, every = 1000 / fps, from = 0, same = false } = {},
) {
  for (let i = 0; i < frames; i++) {
    const payload = Buffer.alloc(bytes, same ? 7 : i);
    counter.add(rtp({ timestamp: 1_000_000 + i * (90_000 / fps), payload }), from + i * every);
  }
}

t.test('a 10 fps camera measures 10 fps, its bitrate and its first frame', async (t) => {
  const counter = new FrameCounter(0, 90_000);
  stream(counter, 20, 10, { from: 40 });
  const m = counter.measures(2000);
  t.equal(m.frames, 20);
  t.equal(m.fps, 10, '20 frames in the 1960 ms since the first would be 10.2; the stamps say 10');
  t.equal(m.kbps, 80, '20 000 bytes in 2 s');
  t.equal(m.firstFrameMs, 40);
  t.equal(m.frozen, false);
});

t.test('frames are cut by the marker bit, or by a new timestamp when the sender sets none', async (t) => {
  const marked = new FrameCounter(0, 90_000);
  for (let f = 0; f < 4; f++) {
    marked.add(rtp({ timestamp: f * 9000, marker: false }), f * 100);
    marked.add(rtp({ timestamp: f * 9000, marker: true }), f * 100 + 5);
  }
  t.equal(marked.measures(1000).frames, 4);
  t.equal(marked.measures(1000).firstFrameMs, 5, 'a frame is complete with its last packet');

  const unmarked = new FrameCounter(0, 90_000);
  for (let f = 0; f < 4; f++) unmarked.add(rtp({ timestamp: f * 9000, marker: false }), f * 100);
  t.equal(unmarked.measures(1000).frames, 3, 'the last frame is not known complete until the next begins');
});

t.test('a burst of buffered frames at PLAY does not inflate the frame rate', async (t) => {
  const counter = new FrameCounter(0, 90_000);
  stream(counter, 20, 10, { every: 1 });
  t.equal(counter.measures(2000).fps, 10, 'the timestamps say 10 fps');
});

t.test('a stream held up on its way shows its low rate although its timestamps say 10 fps', async (t) => {
  const counter = new FrameCounter(0, 90_000);
  stream(counter, 5, 10, { every: 400 });
  t.equal(counter.measures(2000).fps, 2.5);
});

t.test(
  'B-frames run timestamps backwards and wrap-around runs them past 2^32: neither upsets the rate',
  async (t) => {
    const counter = new FrameCounter(0, 90_000);
    const order = [0, 3, 1, 2, 6, 4, 5, 9, 7, 8];
    order.forEach((n, i) => {
      counter.add(rtp({ timestamp: 2 ** 32 - 20_000 + n * 9000, payload: Buffer.from([n]) }), i * 100);
    });
    t.equal(counter.measures(1000).fps, 10);
  },
);

t.test('frames that share a timestamp (cut by their marker bits) are counted as they arrive', async (t) => {
  const counter = new FrameCounter(0, 90_000);
  for (let i = 0; i < 4; i++) counter.add(rtp({ timestamp: 0, payload: Buffer.from([i]) }), i * 250);
  t.equal(counter.measures(1000).fps, 4);
});

t.test('a camera frozen on one picture repeats the same bytes every frame', async (t) => {
  const frozen = new FrameCounter(0, 90_000);
  stream(frozen, 10, 10, { same: true });
  t.equal(frozen.measures(1000).frozen, true);
  const two = new FrameCounter(0, 90_000);
  stream(two, 2, 10, { same: true });
  t.equal(two.measures(1000).frozen, false, 'two frames are too few to say');
  const lively = new FrameCounter(0, 90_000);
  stream(lively, 10, 10);
  t.equal(lively.measures(1000).frozen, false);
});

t.test('one frame, or none, gives a rate only the window can explain', async (t) => {
  const one = new FrameCounter(0, 90_000);
  stream(one, 1, 10, { from: 300 });
  t.equal(one.measures(2000).fps, 0.5);
  const none = new FrameCounter(0, 90_000);
  none.add(rtp({ timestamp: 0, marker: false }), 10);
  t.same(none.measures(2000), { frames: 0, fps: undefined, kbps: 0, firstFrameMs: undefined, frozen: false });
  const instant = new FrameCounter(0, 90_000);
  stream(instant, 3, 10, { every: 0 });
  t.ok((instant.measures(0).fps ?? 0) > 0, 'frames at the very end of the window still give a finite rate');
});

t.test('RTP headers are stripped exactly; what is not RTP video is ignored', async (t) => {
  const payload = Buffer.from('0123456789');
  t.same(parseRtp(rtp({ timestamp: 5, payload, csrcs: 2, extensionWords: 3, padding: 4 }))?.payload, payload);
  t.equal(parseRtp(rtp({ timestamp: 5, payload }))?.timestamp, 5);
  t.equal(parseRtp(Buffer.from('short')), undefined);
  t.equal(parseRtp(Buffer.alloc(0)), undefined);
  t.equal(parseRtp(Buffer.alloc(20)), undefined, 'version 0');
  t.equal(
    parseRtp(rtp({ timestamp: 0, type: 72, marker: true })),
    undefined,
    'RTCP sender report (200) on the channel',
  );
  const truncated = rtp({ timestamp: 0, extensionWords: 0, payload: Buffer.alloc(0) }).subarray(0, 14);
  t.equal(parseRtp(truncated), undefined, 'an extension header cut short');
  const overPadded = rtp({ timestamp: 0, payload: Buffer.alloc(0), padding: 1 });
  overPadded[overPadded.length - 1] = 200;
  t.equal(parseRtp(overPadded), undefined, 'more padding than packet');
  const counter = new FrameCounter(0, 90_000);
  counter.add(Buffer.from('not rtp at all'), 5);
  t.equal(counter.measures(1000).kbps, 0);
});
