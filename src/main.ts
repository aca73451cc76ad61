#!/usr/bin/env node
// The `store-gateway` command: parses arguments, loads the configuration and runs the daemon, the
// configuration check, the reference upstream or the demo. Exit codes: 0 ok, 1 failure, 2 bad usage or config.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { App, statusLine } from './app.js';
import { ConfigError, type HubConfig, loadConfig } from './config/load.js';
import { runDemo } from './demo.js';
import { runHashPasswordCommand } from './diagnostics/hash-command.js';
import { LogTail } from './diagnostics/log-tail.js';
import { OutboxError } from './outbox/outbox.js';
import { runRecordCommand, runReplayCommand } from './recording/command.js';
import { runSafeGatesCommand } from './safe-gates.js';
import { systemClock } from './system/clock.js';
import { createLogger, type Logger, stdoutDestination } from './system/log.js';
import { type ServiceNotifier, serviceNotifier } from './system/notify.js';
import { packageRoot, version } from './system/package.js';
import { runUpstreamCommand } from './upstream/command.js';

export { version };
export const defaultConfig = join(packageRoot, 'configs', 'simulated-store.yaml');

const usage = `store-gateway ${version}: the hub daemon of a checkout-free store

Usage:
  store-gateway run [--config FILE]      run the daemon (default: the simulated store)
  store-gateway check-config FILE        validate a configuration; exit 0 if valid, 2 otherwise
  store-gateway upstream [--port N]      run the reference upstream (the cloud stand-in)
  store-gateway demo [--port N]          run the simulated store and the reference upstream together
  store-gateway record --shelf ID        save a shelf's raw samples to a file
  store-gateway replay PATH              run a recording through the shelf pipeline and print the events
  store-gateway safe-gates [--config F]  bring every real gate's outputs to their safe levels and exit
  store-gateway hash-password < pw       hash a technician's password for diagnostics.accounts
  store-gateway --help | --version

Environment (wins over the file): STORE_GATEWAY_CONFIG, STORE_GATEWAY_DATA_DIR,
STORE_GATEWAY_UPSTREAM_URL, STORE_GATEWAY_UPSTREAM_TOKEN, STORE_GATEWAY_DIAGNOSTICS_LISTEN.
Run "store-gateway COMMAND --help" for a command's options.`;

/** How often `systemctl status` gets a fresh line. */
const STATUS_EVERY_MS = 10_000;

/** SIGTERM to exit: systemd's TimeoutStopSec is 10 s. */
const stopDeadlineMs = 8000;

const runUsage = `Usage: store-gateway run [--config FILE]

Runs the daemon. FILE defaults to $STORE_GATEWAY_CONFIG, else the simulated store
(${defaultConfig}). Logs are JSON lines on stdout. SIGTERM or SIGINT stop it cleanly.`;

const checkUsage = `Usage: store-gateway check-config FILE

Validates FILE with the environment overrides applied, without touching any hardware.
Exit 0 when valid; otherwise exit 2 and one line per problem, naming its key.`;

type Out = { out: (s: string) => void; err: (s: string) => void };
const stdio: Out = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: Out = stdio,
): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && rest.includes('--version')) {
    io.out(version);
    return 0;
  }
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      io.out(usage);
      return command === undefined ? 2 : 0;
    case '--version':
    case '-v':
      io.out(version);
      return 0;
    case 'run':
      return runDaemon(rest, env, io);
    case 'check-config':
      return checkConfig(rest, env, io);
    case 'upstream':
      return runUpstreamCommand(rest, env);
    case 'demo':
      return runDemo(rest, io);
    case 'record':
      return runRecordCommand(rest, env, io);
    case 'replay':
      return runReplayCommand(rest, env, io);
    case 'safe-gates':
      return runSafeGatesCommand(rest, env, io);
    case 'hash-password':
      return runHashPasswordCommand(rest, io);
    default:
      io.err(`store-gateway: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>, io: Out, help: string) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (err) {
    io.err(`store-gateway: ${(err as Error).message}\n\n${help}`);
    return undefined;
  }
}

function checkConfig(args: string[], env: NodeJS.ProcessEnv, io: Out): number {
  const parsed = parse(args, {}, io, checkUsage);
  if (!parsed) return 2;
  if (parsed.values.help) {
    io.out(checkUsage);
    return 0;
  }
  const [file] = parsed.positionals;
  if (!file || parsed.positionals.length > 1) {
    io.err(checkUsage);
    return 2;
  }
  try {
    const config = loadConfig(file, env);
    const d = config.devices;
    io.out(
      `${file}: valid (hub ${config.hub.id}, store ${config.hub.storeId}; ${count(d.gates, 'gate')}, ` +
        `${count(d.scanners, 'scanner')}, ${count(d.shelves, 'shelf', 'shelves')}, ${count(d.cameras, 'camera')})`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) io.err(problem.startsWith(file) ? problem : `${file}: ${problem}`);
    return 2;
  }
}

async function runDaemon(args: string[], env: NodeJS.ProcessEnv, io: Out): Promise<number> {
  const parsed = parse(args, { config: { type: 'string', short: 'c' } }, io, runUsage);
  if (!parsed) return 2;
  if (parsed.values.help) {
    io.out(runUsage);
    return 0;
  }
  if (parsed.positionals.length > 0) {
    io.err(`store-gateway run: unexpected argument "${parsed.positionals[0]}"\n\n${runUsage}`);
    return 2;
  }
  const file = (parsed.values as { config?: string }).config ?? env.STORE_GATEWAY_CONFIG ?? defaultConfig;
  let config: HubConfig;
  try {
    config = loadConfig(file, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) io.err(problem.startsWith(file) ? problem : `${file}: ${problem}`);
    return 2;
  }
  // The diagnostics page shows the log's last lines; journald gets every one.
  const logTail = new LogTail(stdoutDestination());
  const log = createLogger(config.log.level, logTail);
  let app: App;
  try {
    app = new App({ config, log, version, logTail });
  } catch (err) {
    if (!(err instanceof OutboxError)) throw err;
    log.fatal({ code: err.code, path: err.path }, err.message);
    io.err(`store-gateway: ${err.message}`);
    return 1;
  }
  let systemd: ServiceNotifier;
  try {
    systemd = await serviceNotifier({ env, clock: systemClock, log: log.child({ part: 'systemd' }) });
  } catch (err) {
    log.fatal({ err }, (err as Error).message);
    io.err(`store-gateway: ${(err as Error).message}`);
    return 1;
  }
  systemd.status('starting');
  let statusTimer: NodeJS.Timeout | undefined;
  // Every way out goes through one stop with a deadline: a stop that hangs must not keep systemd
  // waiting or leave a broken daemon running, and the outbox is crash-safe anyway.
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stopWith = (reason: string, code: number) => {
      if (stopping) {
        log.warn({ reason }, 'already stopping: exiting at once');
        resolve(1);
        return;
      }
      stopping = true;
      clearInterval(statusTimer);
      systemd.stopping(`stopping: ${reason}`);
      setTimeout(() => {
        log.error({ reason }, 'stop took too long; exiting');
        resolve(1);
      }, stopDeadlineMs).unref();
      app.stop(reason).then(() => {
        systemd.close();
        resolve(code);
      });
    };
    process.on('SIGHUP', () => reload(app, file, env, log));
    process.on('SIGTERM', () => stopWith('SIGTERM', 0));
    process.on('SIGINT', () => stopWith('SIGINT', 0));
    // Gate outputs go safe before anything else is tried: the stop below may itself fail.
    process.on('exit', () => app.devices.failSafe());
    process.on('uncaughtException', (err) => {
      app.devices.failSafe();
      log.fatal({ err }, 'unexpected error; stopping with outputs in their safe state');
      stopWith('crash', 1);
    });
    process.on('unhandledRejection', (err) => {
      app.devices.failSafe();
      log.fatal({ err }, 'unhandled rejection; stopping with outputs in their safe state');
      stopWith('crash', 1);
    });
  });
  await app.start();
  systemd.ready(statusLine(app.status()));
  statusTimer = setInterval(() => systemd.status(statusLine(app.status())), STATUS_EVERY_MS);
  statusTimer.unref();
  return stopped;
}

/**
 * SIGHUP (`systemctl reload`): the file is validated first, and a file with a problem changes
 * nothing; what can change live is applied, the rest refused with its sections named.
 */
function reload(app: App, file: string, env: NodeJS.ProcessEnv, log: Logger): void {
  let next: HubConfig;
  try {
    next = loadConfig(file, env);
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems : [String(err)];
    log.error(
      { file, problems },
      'configuration not reloaded: it has problems; the daemon runs on as it was',
    );
    return;
  }
  let plan: ReturnType<App['reload']>;
  try {
    plan = app.reload(next);
  } catch (err) {
    log.error({ err, file }, 'configuration not reloaded: applying it failed; the daemon runs on as it was');
    return;
  }
  const { apply, refuse } = plan;
  if (apply.length === 0 && refuse.length === 0)
    log.info({ file }, 'configuration reloaded: nothing changed');
  if (apply.length > 0)
    log.info({ file, applied: apply }, `configuration reloaded: ${apply.join(', ')} now in force`);
  if (refuse.length > 0)
    log.warn(
      { file, refused: refuse },
      `configuration reloaded in part: ${refuse.join(', ')} changed but need a restart (systemctl restart store-gateway)`,
    );
}

const invokedDirectly = process.argv[1] && fileURLToPath(import.meta.url) === realpath(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(
        `store-gateway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}

function count(list: unknown[], one: string, many = `${one}s`): string {
  return `${list.length} ${list.length === 1 ? one : many}`;
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
