// A TCP proxy between the hub and the upstream that a test can cut, like a flapping store uplink.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Socket } from 'node:net';

export interface FlakyNetwork {
  port: number;
  /** Drops every connection through the proxy at once (both sides see a reset). */
  cut(): void;
  connections: number;
  close(): Promise<void>;
}

export async function startFlakyNetwork(targetPort: number): Promise<FlakyNetwork> {
  const open = new Set<Socket>();
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      for (const s of open) s.resetAndDestroy();
    },
    get connections() {
      return connections;
    },
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
