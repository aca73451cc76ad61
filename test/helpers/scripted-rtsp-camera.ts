// A scripted RTSP camera on a node net server: it answers like a plain camera unless the test's
// script does something else, so each test spells out only the misbehaviour it is about.
import { createServer, type Socket } from 'node:net';
import type { TestContext } from './tap-types.js';

export interface RtspRequest {
  method: string;
  uri: string;
  cseq: string;
  /** Header names in lower case. */
  headers: Map<string, string>;
}

export interface CameraSide {
  readonly socket: Socket;
  /** Writes raw bytes, as they are. */
  send(data: string | Buffer): void;
  /** The plain camera's answer to `request` (PLAY also sends `frames` frames after its reply). */
  answer(request: RtspRequest): void;
  /** A reply with the request's CSeq. */
  reply(request: RtspRequest, status: string, headers?: Record<string, string>, body?: string): string;
}

export type Script = (request: RtspRequest, camera: CameraSide) => void;

export interface ScriptedCamera {
  readonly port: number;
  url(path?: string, userinfo?: string): string;
  readonly requests: RtspRequest[];
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections still open on the camera's side. */
  readonly open: number;
}

export const SDP =
  'v=0\r\ns=probe\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=1\r\n';

/** An RTP packet on an interleaved channel. */
export function interleaved(channel: number, timestamp: number, payload: Buffer, marker = true): Buffer {
  const rtp = Buffer.alloc(12);
  rtp[0] = 0x80;
  rtp[1] = (marker ? 0x80 : 0) | 96;
  rtp.writeUInt32BE(timestamp >>> 0, 4);
  const head = Buffer.from([0x24, channel, 0, 0]);
  head.writeUInt16BE(12 + payload.length, 2);
  return Buffer.concat([head, rtp, payload]);
}

/** `count` frames of 10 fps, each with different bytes, on `channel`. */
export function frames(count: number, channel = 0): Buffer {
  return Buffer.concat(
    Array.from({ length: count }, (_, i) => interleaved(channel, i * 9000, Buffer.alloc(500, i))),
  );
}

export async function startScriptedCamera(t: TestContext, script: Script = (r, c) => c.answer(r)) {
  const requests: RtspRequest[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setNoDelay(true);
    const side: CameraSide = {
      socket,
      send: (data) => {
        if (!socket.destroyed) socket.write(data);
      },
      reply: (request, status, headers = {}, body = '') => {
        const lines = [`RTSP/1.0 ${status}`, `CSeq: ${request.cseq}`];
        for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
        if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
        return `${lines.join('\r\n')}\r\n\r\n${body}`;
      },
      answer: (request) => side.send(plainAnswer(side, request)),
    };
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const [first = '', ...lines] = pending.slice(0, end).split('\r\n');
        pending = pending.slice(end + 4);
        const [method = '', uri = ''] = first.split(' ');
        const headers = new Map(
          lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
        );
        const request = { method, uri, cseq: headers.get('cseq') ?? '', headers };
        requests.push(request);
        script(request, side);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as { port: number }).port;
  const camera: ScriptedCamera = {
    port,
    url: (path = '/live', userinfo) => `rtsp://${userinfo ? `${userinfo}@` : ''}127.0.0.1:${port}${path}`,
    requests,
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size;
    },
  };
  return camera;
}

function plainAnswer(side: CameraSide, request: RtspRequest): string | Buffer {
  switch (request.method) {
    case 'DESCRIBE':
      return side.reply(request, '200 OK', { 'Content-Type': 'application/sdp' }, SDP);
    case 'SETUP':
      return side.reply(request, '200 OK', {
        Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
        Session: 'abc;timeout=60',
      });
    case 'PLAY':
      return Buffer.concat([Buffer.from(side.reply(request, '200 OK', { Session: 'abc' })), frames(5)]);
    default:
      return side.reply(request, '200 OK');
  }
}
