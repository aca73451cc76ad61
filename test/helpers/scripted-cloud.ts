// A real `ws` server that plays the cloud's side as a test scripts it, including misbehaving.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface CloudConnection {
  socket: WebSocket;
  frames: Record<string, unknown>[];
  /** Resolves with the next frame of `type` (already received ones first). */
  next(type: string): Promise<Record<string, unknown>>;
  send(frame: unknown): void;
}

export interface ScriptedCloud {
  url: string;
  port: number;
  connections: CloudConnection[];
  refusals: number;
  nextConnection(): Promise<CloudConnection>;
  close(): Promise<void>;
}

export interface CloudScript {
  token?: string;
  /** Answer hello with this ackedSeq; undefined = do not answer. */
  welcome?: number | ((conn: CloudConnection) => number);
  /** Ack every event at once. */
  autoAck?: boolean;
  /** Refuse every upgrade with this HTTP status. */
  refuseWith?: number;
}

export async function startScriptedCloud(script: CloudScript = {}): Promise<ScriptedCloud> {
  const token = script.token ?? 'test-token';
  const cloud = {
    connections: [] as CloudConnection[],
    refusals: 0,
    waiters: [] as ((c: CloudConnection) => void)[],
  };
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: (protocols) => (protocols.has('store-gateway.v1') ? 'store-gateway.v1' : false),
    verifyClient: (info, cb) => {
      if (script.refuseWith) {
        cloud.refusals++;
        return cb(false, script.refuseWith);
      }
      cb(info.req.headers.authorization === `Bearer ${token}`, 401);
    },
  });
  await once(wss, 'listening');
  wss.on('connection', (socket) => {
    const frames: Record<string, unknown>[] = [];
    const pending: { type: string; seen: number; resolve: (f: Record<string, unknown>) => void }[] = [];
    const consumed = new Map<string, number>();
    const conn: CloudConnection = {
      socket,
      frames,
      send: (frame) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
      next: (type) =>
        new Promise((resolve) => {
          const from = consumed.get(type) ?? 0;
          const idx = frames.findIndex((f, i) => i >= from && f.type === type);
          if (idx >= 0) {
            consumed.set(type, idx + 1);
            resolve(frames[idx] as Record<string, unknown>);
          } else pending.push({ type, seen: frames.length, resolve });
        }),
    };
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      frames.push(frame);
      if (frame.type === 'hello' && script.welcome !== undefined) {
        const acked = typeof script.welcome === 'function' ? script.welcome(conn) : script.welcome;
        conn.send({ type: 'welcome', ackedSeq: acked });
      }
      if (frame.type === 'event' && script.autoAck) conn.send({ type: 'ack', seq: frame.seq });
      const i = pending.findIndex((p) => p.type === frame.type);
      if (i >= 0) {
        const [p] = pending.splice(i, 1);
        consumed.set(frame.type as string, frames.length);
        p?.resolve(frame);
      }
    });
    cloud.connections.push(conn);
    for (const w of cloud.waiters.splice(0)) w(conn);
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/hub`,
    port,
    connections: cloud.connections,
    get refusals() {
      return cloud.refusals;
    },
    nextConnection: () => new Promise((resolve) => cloud.waiters.push(resolve)),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}
