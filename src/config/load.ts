// Reads a hub's YAML configuration, applies the environment overrides of DESIGN.md §5, resolves
// secrets from files or the environment and validates the whole, reporting every problem at once.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parse, parseDocument } from 'yaml';
import { z } from 'zod';
import type { GateProfile } from '../drivers/gpio/gate-profile.js';
import type { HidProfile } from '../drivers/scanner/hid-profile.js';
import type { ScannerProfile } from '../drivers/scanner/serial-profile.js';
import type { WeightProfile } from '../drivers/weight/profiles.js';
import { Secret, tokenProblem } from '../system/secret.js';
import { resolveProfiles, slowShelves } from './boards.js';
import { resolveGateModels } from './gates.js';
import { type Config, configSchema } from './schema.js';
import { product } from './shelves.js';

export type HubConfig = Omit<Config, 'upstream'> & {
  /** Absolute path of the file this came from. */
  configPath: string;
  /** The model of every serial board, by board id, from devices/. */
  boardProfiles: Map<string, WeightProfile>;
  /** The model of every gate, by gate id (on real GPIO only the wired lines), from devices/. */
  gateProfiles: Map<string, GateProfile>;
  /** The model of every serial scanner, by scanner id, from devices/. */
  scannerProfiles: Map<string, ScannerProfile>;
  hidProfiles: Map<string, HidProfile>;
  /** The simulated cloud's private key for its shoppers' QR tokens, from `sim.qrSigningKeyFile`. */
  simSigningKey?: z.output<typeof simKey>;
  upstream: Config['upstream'] & { token: Secret };
};

/** A configuration that cannot be used; `problems` holds one line per problem, each naming its key. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Environment variables that win over the file, with the key each one sets. */
export const envOverrides = {
  STORE_GATEWAY_DATA_DIR: ['dataDir'],
  STORE_GATEWAY_UPSTREAM_URL: ['upstream', 'url'],
  STORE_GATEWAY_DIAGNOSTICS_LISTEN: ['diagnostics', 'listen'],
} as const;

/** Loads and validates FILE; throws ConfigError listing every problem. Touches nothing but the files it reads. */
export interface LoadOptions {
  /**
   * Whether the upstream token must be readable (the daemon). Offline tools (record, replay) say no:
   * they never reach the cloud, and a technician or support need not be able to read the secret.
   */
  token?: boolean;
}

export function loadConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
): HubConfig {
  const configPath = resolve(file);
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? err})`]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return `${file}:${pos.line}:${pos.col}: not valid YAML: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const problems: string[] = [];
  if (!isPlainObject(raw)) throw new ConfigError([`${file}: expected a mapping of keys at the top level`]);

  if (isPlainObject(raw.upstream) && 'token' in raw.upstream) {
    problems.push(
      'upstream.token: secrets are not read from the config file; put the token in the file named by ' +
        'upstream.tokenFile, or in STORE_GATEWAY_UPSTREAM_TOKEN',
    );
    delete raw.upstream.token;
  }
  const fromEnv = new Map<string, string>();
  for (const [name, path] of Object.entries(envOverrides)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, value);
    fromEnv.set(path.join('.'), name);
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(describeIssue(issue, fromEnv));
    throw new ConfigError(problems);
  }
  const config = parsed.data;
  const baseDir = dirname(configPath);
  const dataDir = env.STORE_GATEWAY_DATA_DIR ? resolve(config.dataDir) : resolve(baseDir, config.dataDir);

  const catalogue = loadCatalogue(config, baseDir, problems);
  const profiles = resolveProfiles(config.devices, baseDir);
  problems.push(...profiles.problems);
  if (profiles.problems.length === 0) problems.push(...slowShelves(config, profiles.boards));
  const gateModels = resolveGateModels(config, baseDir);
  problems.push(...gateModels.problems);
  const sim = config.sim?.qrSigningKeyFile
    ? { ...config.sim, qrSigningKeyFile: resolve(baseDir, config.sim.qrSigningKeyFile) }
    : config.sim;
  const simSigningKey = sim?.qrSigningKeyFile
    ? loadSimKey(sim.qrSigningKeyFile, config, problems)
    : undefined;
  const token =
    options.token === false
      ? new Secret('')
      : resolveToken(config.upstream.tokenFile, baseDir, env, problems);
  if (problems.length > 0 || !token) throw new ConfigError(problems);
  return {
    ...config,
    configPath,
    dataDir,
    catalogue,
    boardProfiles: profiles.boards,
    gateProfiles: gateModels.gates,
    scannerProfiles: gateModels.scanners,
    hidProfiles: gateModels.hidScanners,
    ...(simSigningKey ? { simSigningKey } : {}),
    ...(sim ? { sim } : {}),
    upstream: { ...config.upstream, token },
  };
}

/** The inline products plus those of `catalogue.file`; every planogram sku must be among them. */
function loadCatalogue(config: Config, baseDir: string, problems: string[]): Config['catalogue'] {
  const products = [...config.catalogue.products];
  const file = config.catalogue.file;
  if (file) {
    const path = isAbsolute(file) ? file : resolve(baseDir, file);
    try {
      const parsed = catalogueFile.safeParse(parse(readFileSync(path, 'utf8')));
      if (parsed.success) products.push(...parsed.data.products);
      else
        for (const issue of parsed.error.issues)
          problems.push(
            `catalogue.file: ${path}: ${formatPath(issue.path) || '(top level)'}: ${issue.message}`,
          );
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0];
      problems.push(`catalogue.file: cannot read ${path} (${why})`);
    }
  }
  const skus = new Set<string>();
  for (const p of products) {
    if (skus.has(p.sku)) problems.push(`catalogue: sku "${p.sku}" is listed twice`);
    skus.add(p.sku);
  }
  config.devices.shelves.forEach((s, i) => {
    s.planogram.forEach((entry, j) => {
      if (!skus.has(entry.sku))
        problems.push(
          `devices.shelves[${i}].planogram[${j}].sku: no product "${entry.sku}" in the catalogue`,
        );
    });
  });
  return { ...config.catalogue, products };
}

const catalogueFile = z.strictObject({ products: z.array(product) });

const simKey = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1),
});

/** The simulated cloud's signing key: an Ed25519 private JWK whose public half the hub trusts. */
function loadSimKey(path: string, config: Config, problems: string[]): z.output<typeof simKey> | undefined {
  const key = 'sim.qrSigningKeyFile';
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? 'not JSON';
    problems.push(`${key}: cannot read ${path} (${why})`);
    return undefined;
  }
  const parsed = simKey.safeParse(raw);
  if (!parsed.success) {
    problems.push(`${key}: ${path} is not an Ed25519 private JWK with a kid`);
    return undefined;
  }
  const trusted = config.credentials.qr?.keys.find((k) => k.kid === parsed.data.kid);
  if (trusted?.x !== parsed.data.x) {
    problems.push(
      `${key}: its key "${parsed.data.kid}" is not among credentials.qr.keys, so every simulated token would be refused`,
    );
    return undefined;
  }
  return parsed.data;
}

function resolveToken(
  tokenFile: string | undefined,
  baseDir: string,
  env: NodeJS.ProcessEnv,
  problems: string[],
): Secret | undefined {
  let value: string | undefined;
  let source: string;
  if (env.STORE_GATEWAY_UPSTREAM_TOKEN) {
    value = env.STORE_GATEWAY_UPSTREAM_TOKEN;
    source = 'STORE_GATEWAY_UPSTREAM_TOKEN';
  } else if (tokenFile) {
    source = 'upstream.tokenFile';
    const path = isAbsolute(tokenFile) ? tokenFile : resolve(baseDir, tokenFile);
    try {
      value = readFileSync(path, 'utf8').trim();
    } catch (err) {
      problems.push(
        `upstream.tokenFile: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? err})`,
      );
      return undefined;
    }
  } else {
    problems.push('upstream: no token; set upstream.tokenFile or STORE_GATEWAY_UPSTREAM_TOKEN');
    return undefined;
  }
  const problem = tokenProblem(value);
  if (!problem) return new Secret(value);
  problems.push(`${source}: ${problem}`);
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue, fromEnv: Map<string, string>): string {
  const path = formatPath(issue.path);
  const env = fromEnv.get(issue.path.join('.'));
  const where = `${path || '(top level)'}${env ? ` (from ${env})` : ''}`;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${path ? `${path}.` : ''}${k}: unknown key`).join('\n');
  }
  return `${where}: ${issue.message}`;
}

/** `devices.shelves[2].plates`, the way a technician reads a YAML path. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: string): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}
