// A guard around serialport's Unix binding. When a USB adapter is pulled (or the far end of a pty
// closes) the kernel hangs the tty up and read() returns 0 bytes forever; serialport 13 retries such a
// read at once, spinning a CPU and never reporting the loss (serialport/bindings-cpp#162). Here a
// zero-byte read ends the read with a disconnect error, which serialport turns into 'close'.
import { read } from 'node:fs';
import { promisify } from 'node:util';

const readAsync = promisify(read);

interface ReadResult {
  buffer: Buffer;
  bytesRead: number;
}

/** The parts of serialport's Linux/macOS port binding this guard relies on (public in its typings). */
interface UnixPortBinding {
  fd: number | null;
  readonly isOpen: boolean;
  readonly poller: { once(event: 'readable', callback: (err: Error | null) => void): unknown };
  read(buffer: Buffer, offset: number, length: number): Promise<ReadResult>;
}

interface Binding {
  open(options: never): Promise<unknown>;
}

const isUnixPort = (port: unknown): port is UnixPortBinding =>
  typeof port === 'object' && port !== null && 'fd' in port && 'poller' in port;

/** Returns `binding` with every port it opens reading through `readUntilHangup`. */
export function guardHangup<B extends Binding>(binding: B): B {
  return {
    ...binding,
    open: async (options: never) => {
      const port = await binding.open(options);
      /* c8 ignore next -- Windows ports have no fd or poller and keep serialport's own read */
      if (!isUnixPort(port)) return port;
      port.read = (buffer, offset, length) => readUntilHangup(port, buffer, offset, length);
      return port;
    },
  };
}

const canceled = () => Object.assign(new Error('Port is not open'), { canceled: true });

/** Reads what is there, waits when nothing is, and fails with `disconnect` once the tty is hung up. */
async function readUntilHangup(
  port: UnixPortBinding,
  buffer: Buffer,
  offset: number,
  length: number,
): Promise<ReadResult> {
  for (;;) {
    if (!port.isOpen || port.fd === null) throw canceled();
    try {
      const { bytesRead } = await readAsync(port.fd, buffer, offset, length, null);
      if (bytesRead === 0) throw Object.assign(new Error('the device hung up'), { disconnect: true });
      return { buffer, bytesRead };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') throw err;
      if (!port.isOpen) throw canceled();
      await new Promise<void>((resolve, reject) => {
        port.poller.once('readable', (error) => (error ? reject(error) : resolve()));
      });
    }
  }
}
