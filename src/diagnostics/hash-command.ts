// `store-gateway hash-password`: reads a technician's password on standard input (so it stays out of
// the shell's history and the process list) and prints its hash for `diagnostics.accounts`.
import { hashPassword } from '../system/passwords.js';

const usage = `Usage: store-gateway hash-password < password

Reads a password (the first line of standard input) and prints its scrypt hash for
diagnostics.accounts[].passwordHash. Type it and press Enter, then Ctrl-D; or pipe it in.
At least 12 characters.`;

const MIN_LENGTH = 12;
/** More than this on standard input is not a password (a file piped by mistake, /dev/zero). */
const MAX_INPUT_BYTES = 4096;

type Out = { out: (s: string) => void; err: (s: string) => void };

/** Standard input, read to its end or just past MAX_INPUT_BYTES, whichever comes first. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > MAX_INPUT_BYTES) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Exit 0 with the hash printed; 2 with the reason when the password is too short or arguments are given. */
export async function runHashPasswordCommand(
  args: string[],
  io: Out,
  read: () => Promise<string> = readStdin,
): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(usage);
    return 0;
  }
  if (args.length > 0) {
    io.err(
      `store-gateway hash-password: the password comes on standard input, not as an argument\n\n${usage}`,
    );
    return 2;
  }
  const input = await read();
  if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
    io.err(
      `store-gateway hash-password: more than ${MAX_INPUT_BYTES} bytes on standard input; that is no password`,
    );
    return 2;
  }
  const password = input.split(/\r?\n/)[0] ?? '';
  if (password.length < MIN_LENGTH) {
    io.err(`store-gateway hash-password: a password needs at least ${MIN_LENGTH} characters`);
    return 2;
  }
  io.out(await hashPassword(password));
  return 0;
}
