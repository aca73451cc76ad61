// `store-gateway upstream`: runs the reference upstream in the foreground. The live print goes to
// stdout, JSON logs to stderr; SIGINT or SIGTERM closes it cleanly.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, type Logger } from '../system/log.js';
import { packageRoot } from '../system/package.js';
import { Secret, tokenProblem } from '../system/secret.js';
import { startUpstream } from './server.js';

export const usage = `Usage: store-gateway upstream [options]

Runs the reference upstream: a stand-in for the store cloud that speaks protocol v1
(docs/protocol.md). Hubs connect to ws://HOST:PORT/hub; the same port serves the HTTP API.

Options:
  --port N            port to listen on (default 8787; 0 picks a free one)
  --host H            address to listen on (default 127.0.0.1)
  --data-dir DIR      where the event database lives (default ./.data/upstream)
  --token-file FILE   file holding the bearer token; else STORE_GATEWAY_UPSTREAM_TOKEN;
                      else the development token shipped in configs/dev-upstream.token
  --deny REF          refuse entry to this credential ref (repeatable)
  --ack-delay-ms N    wait N ms before each ack (a slow cloud)
  --drop-acks         store events but never ack them (acks lost on the way)
  --quiet             no live print on stdout
  --help              show this help
`;

/** Where the command writes: live lines to stdout, messages and JSON logs to stderr. */
export interface UpstreamCommandIo {
  stdout: (line: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: UpstreamCommandIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (text) => process.stderr.write(text),
};

/** Runs the CLI until SIGINT/SIGTERM; resolves to the exit code (0 after a clean stop, 2 for bad usage, 1 when it cannot start). */
export async function runUpstreamCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: UpstreamCommandIo = defaultIo,
): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`store-gateway upstream: ${message}\nTry 'store-gateway upstream --help'.\n`);
    return 2;
  };
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    return fail((err as Error).message);
  }
  if (values.help) {
    io.stdout(usage.trimEnd());
    return 0;
  }
  const port = wholeNumber(values.port ?? '8787', 65_535);
  if (port === undefined) return fail(`--port must be a whole number from 0 to 65535, not "${values.port}"`);
  const ackDelayMs = wholeNumber(values['ack-delay-ms'] ?? '0', 3_600_000);
  if (ackDelayMs === undefined) {
    return fail(`--ack-delay-ms must be a whole number of milliseconds, not "${values['ack-delay-ms']}"`);
  }
  const log = createLogger('info', { write: (line: string) => io.stderr(line) }).child({
    command: 'upstream',
  });
  const token = readToken(values['token-file'], env, log);
  if ('problem' in token) return fail(token.problem);

  const dataDir = resolve(values['data-dir'] ?? join('.data', 'upstream'));
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    return fail(`cannot create --data-dir ${dataDir} (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  try {
    upstream = await startUpstream({
      host: values.host ?? '127.0.0.1',
      port,
      tokens: [token.secret],
      dbPath: join(dataDir, 'upstream.sqlite'),
      log,
      print: values.quiet ? undefined : io.stdout,
      denyCredentials: values.deny ?? [],
      ackDelayMs,
      dropAcks: values['drop-acks'] ?? false,
    });
  } catch (err) {
    log.error({ err: (err as Error).message }, 'the reference upstream could not start');
    io.stderr(`store-gateway upstream: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  await new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      log.info({ signal }, 'stopping');
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await upstream.close();
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'token-file': { type: 'string' },
      deny: { type: 'string', multiple: true },
      'ack-delay-ms': { type: 'string' },
      'drop-acks': { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function wholeNumber(text: string, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** The token from --token-file, else the environment, else the development token (with a warning). */
function readToken(
  tokenFile: string | undefined,
  env: NodeJS.ProcessEnv,
  log: Logger,
): { secret: Secret } | { problem: string } {
  let value: string;
  let source: string;
  if (tokenFile !== undefined) {
    source = `--token-file ${tokenFile}`;
    try {
      value = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      return {
        problem: `cannot read --token-file ${tokenFile} (${(err as NodeJS.ErrnoException).code ?? err})`,
      };
    }
  } else if (env.STORE_GATEWAY_UPSTREAM_TOKEN) {
    source = 'STORE_GATEWAY_UPSTREAM_TOKEN';
    value = env.STORE_GATEWAY_UPSTREAM_TOKEN.trim();
  } else {
    let devFile = 'configs/dev-upstream.token';
    try {
      devFile = join(packageRoot, devFile);
      value = readFileSync(devFile, 'utf8').trim();
    } catch (err) {
      /* c8 ignore next 2 -- the file ships with the package */
      return { problem: `no token given and the development token ${devFile} is unreadable (${err})` };
    }
    source = devFile;
    log.warn(
      { tokenFile: devFile },
      'using the development token: anyone with this repository can connect; give --token-file outside development',
    );
  }
  // Never quoted: a malformed token is still a secret.
  const problem = tokenProblem(value);
  if (problem) return { problem: `${source}: ${problem}` };
  return { secret: new Secret(value) };
}
