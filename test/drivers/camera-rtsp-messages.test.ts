import t from 'tap';
import { RtspMessageParser, type RtspPiece } from '../../src/drivers/camera/rtsp-messages.js';
import { firstVideoTrack, resolveControl } from '../../src/drivers/camera/sdp.js';

const OK = 'RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n';
const SDP = 'v=0\r\nm=video 0 RTP/AVP 96\r\na=control:stream=0\r\n';
const DESCRIBED = `RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`;
const packet = (channel: number, data: string) =>
  Buffer.concat([Buffer.from([0x24, channel, 0, data.length]), Buffer.from(data)]);

/** What a parser makes of these chunks, in a comparable form. */
function parse(...chunks: (string | Buffer)[]): unknown[] {
  const parser = new RtspMessageParser();
  return chunks.flatMap((c) => parser.push(Buffer.from(c)).map(describe));
}

function describe(piece: RtspPiece): unknown {
  if (piece.kind === 'interleaved') return { channel: piece.channel, data: piece.data.toString() };
  const common = { cseq: piece.headers.get('CSEQ'), body: piece.body.toString() };
  return piece.kind === 'response'
    ? { status: piece.status, text: piece.statusText, ...common }
    : { method: piece.method, ...common };
}

t.test('a reply split anywhere across TCP chunks reads the same as in one piece', async (t) => {
  const whole = Buffer.concat([Buffer.from(DESCRIBED), packet(0, 'rtp!')]);
  const expected = parse(whole);
  t.same(expected, [
    { status: 200, text: 'OK', cseq: '2', body: SDP },
    { channel: 0, data: 'rtp!' },
  ]);
  for (let cut = 1; cut < whole.length; cut++) {
    t.same(parse(whole.subarray(0, cut), whole.subarray(cut)), expected, `cut at ${cut}`);
  }
  t.same(parse(...[...whole].map((byte) => Buffer.from([byte]))), expected, 'one byte at a time');
});

t.test('several replies and packets in one chunk all come out, in order', async (t) => {
  const chunk = Buffer.concat([
    packet(1, 'rtcp'),
    Buffer.from(OK),
    packet(0, 'a'),
    Buffer.from(DESCRIBED),
    packet(0, 'b'),
  ]);
  t.same(parse(chunk), [
    { channel: 1, data: 'rtcp' },
    { status: 200, text: 'OK', cseq: '1', body: '' },
    { channel: 0, data: 'a' },
    { status: 200, text: 'OK', cseq: '2', body: SDP },
    { channel: 0, data: 'b' },
  ]);
});

t.test('lenient where cameras differ: bare LF lines, stray CRLFs, folded and repeated headers', async (t) => {
  const parser = new RtspMessageParser();
  const [reply] = parser.push(
    Buffer.from(
      '\r\n\r\nRTSP/1.0 401 Unauthorized\nCSeq: 7\nWWW-Authenticate: Digest realm="x",\n  nonce="n"\nWWW-Authenticate: Basic realm="x"\n\n',
    ),
  );
  t.equal(reply?.kind, 'response');
  if (reply?.kind !== 'response') return;
  t.equal(reply.status, 401);
  t.same(reply.headers.all('www-authenticate'), ['Digest realm="x", nonce="n"', 'Basic realm="x"']);
  t.same(reply.headers.all('x-absent'), []);
  t.same(
    parse('RTSP/1.0 200\r\nCSeq: 3\r\n\r\n'),
    [{ status: 200, text: '', cseq: '3', body: '' }],
    'no reason phrase',
  );
});

t.test('a request from the camera is passed on as such, with its body', async (t) => {
  t.same(parse('ANNOUNCE rtsp://cam/s RTSP/1.0\r\nCSeq: 9\r\nContent-Length: 2\r\n\r\nhi'), [
    { method: 'ANNOUNCE', cseq: '9', body: 'hi' },
  ]);
});

t.test('a peer that does not speak RTSP is caught from its first bytes', async (t) => {
  const notRtsp = { message: 'something that is not RTSP' };
  t.throws(() => parse('HTTP/1.1 400 Bad Request\r\n\r\n'), notRtsp, 'a web server');
  t.throws(() => parse(Buffer.from([0x16, 0x03, 0x01])), notRtsp, 'a TLS hello');
  t.throws(() => parse('RTSP/1.0 OK\r\n'), notRtsp, 'a status line without a code');
  t.throws(() => parse('RTSP/1.0 200 OK\r\nno colon here\r\n\r\n'), notRtsp, 'a header line without a name');
  t.throws(() => parse('SSH-2.0-OpenSSH\r\n'), notRtsp, 'an SSH banner');
  t.same(parse('RTS'), [], 'the start of a reply is no reason to give up');
});

t.test('memory stays bounded: headers and bodies over 64 KiB end the connection', async (t) => {
  const parser = new RtspMessageParser();
  parser.push(Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 1\r\n'));
  const junk = Buffer.from(`X-Junk: ${'a'.repeat(1000)}\r\n`);
  let pushed = 0;
  t.throws(
    () => {
      for (;;) {
        parser.push(junk);
        pushed += junk.length;
      }
    },
    { message: 'a response header larger than 64 KiB' },
  );
  t.ok(pushed <= 64 * 1024, `cut off after ${pushed} bytes`);
  t.throws(() => parse('RTSP/1.0 200 OK\r\nContent-Length: 65537\r\n\r\n'), {
    message: 'an RTSP body larger than 64 KiB (65537 bytes)',
  });
  t.throws(() => parse('RTSP/1.0 200 OK\r\nContent-Length: lots\r\n\r\n'), {
    message: 'an RTSP Content-Length that is not a number',
  });
  const big = `RTSP/1.0 200 OK\r\nContent-Length: 65536\r\n\r\n${'x'.repeat(65536)}`;
  t.equal((parse(big)[0] as { body: string }).body.length, 65536, 'a body of exactly 64 KiB is fine');
});

t.test('the video track of a GStreamer description resolves against its Content-Base', async (t) => {
  const sdp = [
    'v=0',
    'o=- 8440924871321427390 1 IN IP4 127.0.0.1',
    's=Session streamed with GStreamer',
    'a=control:*',
    'm=video 0 RTP/AVP 96',
    'c=IN IP4 0.0.0.0',
    'a=rtpmap:96 MP4V-ES/90000',
    'a=control:stream=0',
  ].join('\r\n');
  t.same(firstVideoTrack(sdp, 'rtsp://127.0.0.1:8554/clip/'), {
    control: 'rtsp://127.0.0.1:8554/clip/stream=0',
    aggregate: 'rtsp://127.0.0.1:8554/clip/',
    payloadType: 96,
    clockRate: 90000,
  });
});

t.test('the first video track is found after audio, whatever its control looks like', async (t) => {
  const sdp = (control: string) =>
    `v=0\na=control:rtsp://cam/live/\nm=audio 0 RTP/AVP 0\na=control:trackID=0\nm=video 0 RTP/AVP 26\n${control}\nm=video 0 RTP/AVP 97\na=control:trackID=9\n`;
  const track = firstVideoTrack(sdp('a=control:trackID=1'), 'rtsp://cam/ignored');
  t.same(track, {
    control: 'rtsp://cam/live/trackID=1',
    aggregate: 'rtsp://cam/live/',
    payloadType: 26,
    clockRate: 90000,
  });
  t.equal(firstVideoTrack(sdp(''), 'rtsp://cam/s')?.control, 'rtsp://cam/live/', 'no control: the aggregate');
  t.equal(
    firstVideoTrack('m=video 0 RTP/AVP 96\na=rtpmap:97 H264/1000\na=rtpmap:96 H265/45000\n', 'rtsp://c/s')
      ?.clockRate,
    45000,
  );
  t.equal(
    firstVideoTrack('m=video 0 RTP/AVP 96\na=rtpmap:96 H264\n', 'rtsp://c/s')?.clockRate,
    90000,
    'a map without rate',
  );
  t.equal(firstVideoTrack('v=0\nm=audio 0 RTP/AVP 0\n', 'rtsp://c/s'), undefined, 'audio only');
  t.equal(firstVideoTrack('m=video 0 RTP/AVP dynamic\n', 'rtsp://c/s'), undefined, 'no payload type');
});

t.test('controls resolve the way cameras mean them', async (t) => {
  t.equal(
    resolveControl('trackID=1', 'rtsp://cam/live'),
    'rtsp://cam/live/trackID=1',
    'the base is a folder',
  );
  t.equal(resolveControl('trackID=1', 'rtsp://cam/live/'), 'rtsp://cam/live/trackID=1');
  t.equal(resolveControl('*', 'rtsp://cam/live/'), 'rtsp://cam/live/');
  t.equal(resolveControl('rtsp://other:8554/v', 'rtsp://cam/live'), 'rtsp://other:8554/v');
  t.equal(resolveControl('/media/v', 'rtsp://cam:554/live/x'), 'rtsp://cam:554/media/v');
  t.equal(resolveControl('/media/v', 'live/x'), '/media/v', 'a base that is no URL adds nothing');
});
