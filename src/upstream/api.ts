// The reference upstream's public face: how to start it, what it reports, and the handle it returns.
import type { EventEmitter } from 'node:events';
import type { Logger } from '../system/log.js';
import type { Secret } from '../system/secret.js';
import type { CommandResultFrame } from './frames.js';
import type { Response } from './requests.js';
import type { StoredEvent } from './store.js';

export interface UpstreamOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port, read it from `Upstream.port`. */
  port?: number;
  /** Accepted bearer tokens; any of them lets a hub or an API client in. */
  tokens: Secret[];
  /** SQLite file; its directory must exist. */
  dbPath: string;
  log: Logger;
  /** Receives the live print, one line per call. */
  print?: (line: string) => void;
  /** Credential refs that entry.authorize refuses. */
  denyCredentials?: string[];
  /** Wait this long before each ack: a slow cloud. */
  ackDelayMs?: number;
  /** Store events but never ack them: acks lost on the way. */
  dropAcks?: boolean;
  /** Ping period; a hub that misses two pongs in a row is terminated. Default 15 s. */
  pingIntervalMs?: number;
}

export interface HubStats {
  ackedSeq: number;
  events: number;
  duplicates: number;
  unrecognised: number;
  /** Since this upstream started. */
  invalidFrames: number;
  /** Connections that said hello, since this upstream started. */
  connections: number;
}

/** What tests and tools can wait for. */
export interface UpstreamEvents {
  connection: [{ peer: string }];
  refused: [{ peer: string; status: number; reason: string }];
  hello: [{ hubId: string; storeId: string; version: string; ackedSeq: number }];
  /** Emitted once the event is committed. `problem` is set when the catalogue does not recognise it. */
  event: [{ hubId: string; event: StoredEvent; problem?: string }];
  duplicate: [{ hubId: string; event: StoredEvent }];
  ack: [{ hubId: string; seq: number }];
  invalid: [{ who: string; reason: string; recent: number }];
  request: [{ hubId: string; method: string; response: Response }];
  disconnect: [{ hubId: string | undefined; peer: string; code: number; reason: string }];
}

export interface Upstream extends EventEmitter<UpstreamEvents> {
  /** ws://host:port/hub */
  readonly url: string;
  readonly port: number;
  /** Closes every hub connection (1001), the HTTP server and the database. */
  close(): Promise<void>;
  /** Sends a command to a connected hub; resolves with its command.result, rejects with CommandError. */
  sendCommand(
    hubId: string,
    name: string,
    args?: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<CommandResultFrame>;
  /** The hub's stored events with seq > afterSeq, in seq order. */
  events(hubId: string, afterSeq?: number, limit?: number): StoredEvent[];
  stats(hubId: string): HubStats;
  connectedHubs(): string[];
}
