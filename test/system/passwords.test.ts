// Technicians' password hashes, and the command that makes them.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { runHashPasswordCommand } from '../../src/diagnostics/hash-command.js';
import { checkPassword, decoyHash, hashPassword, passwordHashPattern } from '../../src/system/passwords.js';

t.test('a hash checks its password and no other, and two hashes of one password differ', async (t) => {
  const hash = await hashPassword('correct horse battery');
  t.match(hash, passwordHashPattern);
  t.notMatch(hash, /correct/, 'the password is not in it');
  t.ok(await checkPassword('correct horse battery', hash));
  t.notOk(await checkPassword('correct horse batterY', hash));
  t.not(await hashPassword('correct horse battery'), hash, 'salted');
  t.notOk(await checkPassword('', decoyHash), 'the decoy matches nothing');
  for (const broken of ['', 'plain text', 'scrypt$1$8$1$AAAA$BBBB', 'bcrypt$2b$10$abc', 'scrypt$x$y$z$a$b'])
    t.notOk(
      await checkPassword('anything', broken),
      `an unreadable hash (${broken || 'empty'}) checks nothing`,
    );
});

t.test('hash-password reads the password on standard input and prints a hash the config takes', async (t) => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
  t.equal(await runHashPasswordCommand([], io, async () => 'a long enough secret\nignored'), 0);
  t.match(out[0], passwordHashPattern);
  t.ok(await checkPassword('a long enough secret', out[0] as string), 'only the first line is the password');
  t.equal(await runHashPasswordCommand([], io, async () => 'short\n'), 2);
  t.match(err.at(-1), /at least 12 characters/);
  t.equal(await runHashPasswordCommand(['hunter2hunter2'], io), 2, 'never as an argument');
  t.match(err.at(-1), /standard input, not as an argument/);
  t.notMatch(err.join(), /hunter2/, 'and the argument is not repeated');
  t.equal(await runHashPasswordCommand(['--help'], io), 0);
  t.equal(await runHashPasswordCommand([], io, async () => 'x'.repeat(5000)), 2, 'a file piped by mistake');
  t.match(err.at(-1), /more than 4096 bytes/);
});

t.test('the real command stops reading an endless input and refuses it', async (t) => {
  const main = join(import.meta.dirname, '..', '..', 'src', 'main.ts');
  const run = spawnSync(
    '/bin/sh',
    [
      '-c',
      `head -c 1000000 /dev/zero | "${process.execPath}" ${process.execArgv.join(' ')} "${main}" hash-password`,
    ],
    {
      encoding: 'utf8',
    },
  );
  t.equal(run.status, 2);
  t.match(run.stderr, /more than 4096 bytes on standard input/);
});

t.test('the real command, its password piped in', async (t) => {
  const main = join(import.meta.dirname, '..', '..', 'src', 'main.ts');
  const hash = execFileSync(process.execPath, [...process.execArgv, main, 'hash-password'], {
    input: 'piped password 42\n',
    encoding: 'utf8',
  }).trim();
  t.ok(await checkPassword('piped password 42', hash));
});
