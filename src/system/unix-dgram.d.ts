// The part of unix-dgram 2 the notifier uses; the package ships no types.
declare module 'unix-dgram' {
  import type { EventEmitter } from 'node:events';

  interface UnixDgramSocket extends EventEmitter {
    bind(path: string): void;
    send(
      buffer: Buffer,
      offset: number,
      length: number,
      path: string,
      callback?: (err?: Error) => void,
    ): void;
    close(): void;
  }

  export function createSocket(
    type: 'unix_dgram',
    listener?: (message: Buffer, info: { address?: string; size: number }) => void,
  ): UnixDgramSocket;
}
