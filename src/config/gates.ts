// The configured gates and scanners checked against their models in devices/, so that `check-config`
// catches a missing line or a cloud timeout longer than a gate's patience before the hub touches GPIO.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { type GateProfile, loadGateProfile } from '../drivers/gpio/gate-profile.js';
import { profilePath } from '../drivers/profile-file.js';
import { type HidProfile, loadHidProfile } from '../drivers/scanner/hid-profile.js';
import { namesHidDevice } from '../drivers/scanner/hid-transport.js';
import { loadScannerProfile, type ScannerProfile } from '../drivers/scanner/serial-profile.js';
import { type Config, type GateConfig, gateSchema } from './schema.js';

/** The serial scanner model used when a scanner names none. */
export const defaultScannerProfile = 'qr-usb-cdc';
/** The HID scanner model used when a scanner names none. */
export const defaultHidScannerProfile = 'hid-keyboard-wedge-generic';

export interface GateModels {
  /** Each gate's model by gate id; on real GPIO, only the lines the configuration wires. */
  gates: Map<string, GateProfile>;
  /** Each serial scanner's model by scanner id. */
  scanners: Map<string, ScannerProfile>;
  /** Each HID scanner's model by scanner id. */
  hidScanners: Map<string, HidProfile>;
  problems: string[];
}

export function resolveGateModels(config: Config, baseDir: string): GateModels {
  const gates = new Map<string, GateProfile>();
  const scanners = new Map<string, ScannerProfile>();
  const hidScanners = new Map<string, HidProfile>();
  const problems: string[] = [];
  const load = <T>(loader: (path: string) => T, name: string, key: string): T | undefined => {
    try {
      return loader(profilePath(name, baseDir));
    } catch (err) {
      problems.push(`${key}: ${(err as Error).message.split('\n').join(`\n${key}: `)}`);
      return undefined;
    }
  };
  config.devices.gates.forEach((gate, i) => {
    const key = `devices.gates[${i}]`;
    const profile = load(loadGateProfile, gate.profile, `${key}.profile`);
    if (!profile) return;
    const wired = gate.driver === 'onoff' ? onlyWired(profile, gate.lines ?? {}) : profile;
    gates.set(gate.id, wired);
    if (config.credentials.cloudTimeoutMs >= profile.timing.authoriseTimeoutMs && gate.role === 'entry')
      problems.push(
        `credentials.cloudTimeoutMs: ${config.credentials.cloudTimeoutMs} ms is not shorter than ${gate.id}'s ` +
          `authoriseTimeoutMs (${profile.timing.authoriseTimeoutMs} ms): the gate would give up before the cloud`,
      );
  });
  config.devices.scanners.forEach((scanner, i) => {
    if (scanner.driver === 'hid') {
      const key = `devices.scanners[${i}]`;
      const profile = load(loadHidProfile, scanner.profile ?? defaultHidScannerProfile, `${key}.profile`);
      if (!profile) return;
      if (!namesHidDevice({ ...profile.match, ...scanner.match }))
        problems.push(
          `${key}.match: the model ${profile.model} names no USB device; give vendorId and productId (or serialNumber, or path)`,
        );
      hidScanners.set(scanner.id, profile);
      return;
    }
    if (scanner.driver !== 'serial') return;
    const profile = load(
      loadScannerProfile,
      scanner.profile ?? defaultScannerProfile,
      `devices.scanners[${i}].profile`,
    );
    if (profile) scanners.set(scanner.id, profile);
  });
  return { gates, scanners, hidScanners, problems };
}

/** The profile with only the lines a real gate has wired: an unwired input is never read, an unwired output never driven. */
function onlyWired(profile: GateProfile, lines: Partial<Record<string, number>>): GateProfile {
  const keep = <T extends object>(group: T): T =>
    Object.fromEntries(Object.entries(group).filter(([name]) => lines[name] !== undefined)) as T;
  return { ...profile, outputs: keep(profile.outputs), inputs: keep(profile.inputs) };
}

/**
 * Only the gates of a configuration file, each with its model, for `safe-gates`: whatever else is
 * wrong with the file (a catalogue, a token, a sim key) must not keep a gate from its safe state.
 * A gate that cannot be read is a problem of its own; the others are still returned.
 */
export function loadGatesOnly(file: string): {
  gates: Array<{ config: GateConfig; profile: GateProfile }>;
  problems: string[];
} {
  const problems: string[] = [];
  const path = resolve(file);
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'), { prettyErrors: false });
  } catch (err) {
    return { gates: [], problems: [`${file}: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { gates: [], problems: [`${file}: expected a mapping of keys at the top level`] };
  const listed = (raw as { devices?: { gates?: unknown } }).devices?.gates;
  if (listed !== undefined && !Array.isArray(listed))
    return { gates: [], problems: ['devices.gates: expected a list of gates'] };
  const gates: Array<{ config: GateConfig; profile: GateProfile }> = [];
  (listed ?? []).forEach((entry: unknown, i) => {
    const key = `devices.gates[${i}]`;
    const parsed = gateSchema.safeParse(entry);
    if (!parsed.success) {
      problems.push(`${key}: ${parsed.error.issues[0]?.message ?? 'not a gate'}`);
      return;
    }
    try {
      const profile = loadGateProfile(profilePath(parsed.data.profile, dirname(path)));
      const config = parsed.data;
      gates.push({
        config,
        profile: config.driver === 'onoff' ? onlyWired(profile, config.lines ?? {}) : profile,
      });
    } catch (err) {
      problems.push(`${key}.profile: ${(err as Error).message.split('\n')[0]}`);
    }
  });
  return { gates, problems };
}
