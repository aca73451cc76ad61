// `store-gateway hash-password`: reads a technician's password on standard input (so it stays out of
// the shell's history and the process list) and prints its hash for `diagnostics.accounts`.
import { hashPassword } from './accounts.js';

const usage = `Usage: store-gateway hash-password < password

Reads a password (the first line of standard input) and prints its scrypt hash for
diagnostics.accounts[].passwordHash. Type it and press Enter, then Ctrl-D; or pipe it in.
At least 12 characters.`;

const MIN_LENGTH = 12;

type Out = { out: (s: string) => void; err: (s: string) => void };

/** Standard input, read to its end. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
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
  const password = (await read()).split(/\r?\n/)[0] ?? '';
  if (password.length < MIN_LENGTH) {
    io.err(`store-gateway hash-password: a password needs at least ${MIN_LENGTH} characters`);
    return 2;
  }
  io.out(await hashPassword(password));
  return 0;
}
