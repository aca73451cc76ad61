// Drives test/fixtures/modbus-slave.py: real Modbus RTU modules (pymodbus) on the device end of a pty.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestContext } from '../../helpers/tap-types.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '../../fixtures/modbus-slave.py');

export interface Slave {
  /** Sends one command and resolves with the slave's answer. */
  command(command: object): Promise<Record<string, unknown>>;
  /** Puts a plate load (int32, high word first) in a unit's holding registers 2c and 2c+1. */
  load(unit: number, grams: readonly number[]): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the slave on `port` serving `units`; it is stopped when the test ends. */
export async function startSlave(t: TestContext, port: string, units: number[]): Promise<Slave> {
  const child: ChildProcess = spawn(PYTHON, [SCRIPT, '--port', port, '--units', units.join(',')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  type Waiter = { resolve: (line: Record<string, unknown>) => void; reject: (err: Error) => void };
  const waiting: Waiter[] = [];
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  child.once('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`modbus-slave.py exited (${code}): ${stderr}`));
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => waiting.push({ resolve, reject }));

  const ready = await next();
  if (ready.ready !== true)
    throw new Error(`modbus-slave.py did not start: ${JSON.stringify(ready)} ${stderr}`);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  t.teardown(stop);

  const command = async (cmd: object) => {
    const answer = next();
    child.stdin?.write(`${JSON.stringify(cmd)}\n`);
    const reply = await answer;
    if ('error' in reply) throw new Error(`modbus-slave.py: ${reply.error}`);
    return reply;
  };
  return {
    command,
    load: async (unit, grams) => {
      const values = grams.flatMap((g) => [(g >>> 16) & 0xffff, g & 0xffff]);
      await command({ set: { unit, table: 'hr', address: 0, values } });
    },
    stop,
  };
}
