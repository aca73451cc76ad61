// The hub's local HTTP server on `diagnostics.listen` (127.0.0.1:8080 by default). For now it serves
// the Prometheus metrics at /metrics; the technician's pages come with the diagnostics work. Only GET
// and HEAD are answered; anything else is a clear 404 or 405, and nothing a request sends can stop it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../system/log.js';
import type { HubMetrics } from './metrics.js';

export interface DiagnosticsOptions {
  /** host:port; port 0 takes a free one (tests). */
  listen: string;
  metrics: HubMetrics;
  log: Logger;
}

export class DiagnosticsServer {
  readonly #options: DiagnosticsOptions;
  readonly #server: Server;

  constructor(options: DiagnosticsOptions) {
    this.#options = options;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((err: unknown) => {
        options.log.error({ err }, 'diagnostics request failed');
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end('internal error; see the hub log\n');
      });
    });
    // Slow or idle clients must not hold sockets for long on a small hub.
    this.#server.requestTimeout = 10_000;
    this.#server.headersTimeout = 5_000;
  }

  /** Listens; rejects with the reason (address in use, not permitted) in a technician's words. */
  async start(): Promise<void> {
    const { host, port } = splitHostPort(this.#options.listen);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`diagnostics cannot listen on ${this.#options.listen}: ${err.code ?? err.message}`)),
      );
      this.#server.listen(port, host, () => resolve());
    });
    this.#options.log.info({ listen: this.address }, 'diagnostics listening');
  }

  /** host:port actually listened on. */
  get address(): string {
    const address = this.#server.address() as AddressInfo | null;
    if (!address) return this.#options.listen;
    return address.family === 'IPv6'
      ? `[${address.address}]:${address.port}`
      : `${address.address}:${address.port}`;
  }

  async stop(): Promise<void> {
    if (!this.#server.listening) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found: this hub serves /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      response.end('method not allowed\n');
      return;
    }
    const body = await this.#options.metrics.text();
    response.writeHead(200, {
      'content-type': this.#options.metrics.contentType,
      'cache-control': 'no-store',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  }
}

function splitHostPort(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(at + 1)) };
}
