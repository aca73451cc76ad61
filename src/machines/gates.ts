// Every gate of the store with its machine, its lines and the scanners standing at it, joined to the
// store: passages, fire inputs and walk-aways go to the store machine; the store's emergency comes
// back to every gate. A fire-alarm edge reaches every gate's unlock write in one synchronous pass.
import type { GateConfig } from '../config/schema.js';
import type { GateProfile } from '../drivers/gpio/gate-profile.js';
import type { GpioChip, Level } from '../drivers/gpio/port.js';
import type { Scan } from '../drivers/scanner/port.js';
import type { EventData } from '../events/catalogue.js';
import type { Clock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import {
  type Authorise,
  type CredentialKind,
  createGateActor,
  type GateActor,
  type GateEmitted,
  gateStateOf,
  type InputLine,
  type Opening,
  type OutputLine,
} from './gate.js';
import { type GateLines, openGateLines } from './gate-lines.js';
import type { DeviceStatusData } from './status.js';
import { inEmergency, type StoreActor } from './store.js';

export interface GatesOptions {
  store: StoreActor;
  authorise: Authorise;
  clock: Clock;
  log: Logger;
  onDenied: (data: EventData<'entry.denied'>) => void;
  onAlarm: (data: EventData<'gate.alarm'>) => void;
}

interface RunningGate {
  config: GateConfig;
  profile: GateProfile;
  chip: GpioChip;
  lines: GateLines;
  actor: GateActor;
  stopWatching: () => void;
  /** Lights or buzzer whose writes fail, with the error's message. */
  failingOutputs: Map<OutputLine, string>;
  /** The last status reported, so only changes are. */
  reported: string;
}

/** The gate's machine failed: its outputs are held by `Gates`, no longer by the machine. */
const failed = (gate: RunningGate) => gate.actor.getSnapshot().status === 'error';

/** An opening as `hub.status` shows it: a free exit's has no party size (JSON would say null). */
function shownOpening({ party, ...rest }: Opening): Omit<Opening, 'party'> & { party?: number } {
  return Number.isFinite(party) ? { ...rest, party } : rest;
}

/** A refusal of a gate command, with a code the cloud can act on. */
export class GateRefusal extends Error {
  constructor(
    readonly code: 'unknown_gate' | 'gate_busy' | 'emergency',
    message: string,
  ) {
    super(message);
  }
}

export class Gates {
  readonly #gates = new Map<string, RunningGate>();
  readonly #opts: GatesOptions;
  readonly #log: Logger;
  #report: (status: DeviceStatusData) => void = () => {};

  constructor(options: GatesOptions) {
    this.#opts = options;
    this.#log = options.log.child({ part: 'gates' });
    // The store's emergency reaches every gate at once, from the same call that declared it.
    options.store.on('event', (e) => {
      if (e.kind === 'emergency') this.#everyGate({ type: 'emergency', active: e.data.state === 'active' });
    });
  }

  /** Where each gate's health goes (`device.status`); the devices set it. */
  reportStatus(report: (status: DeviceStatusData) => void): void {
    this.#report = report;
  }

  /**
   * Opens the gate's lines on `chip` and starts its machine from what the wires say now. The fire
   * input goes to the store straight from its line, so a gate whose machine has failed still raises
   * the emergency for every other gate.
   */
  start(config: GateConfig, profile: GateProfile, chip: GpioChip): void {
    const gateId = config.id;
    const lines = openGateLines(chip, profile);
    const { store, authorise, clock } = this.#opts;
    const failingOutputs = new Map<OutputLine, string>();
    const write = (line: OutputLine, level: Level) => {
      try {
        lines.write(line, level);
      } catch (err) {
        // The lock is the gate: a lock the hub cannot drive fails the machine, and the outputs fall
        // to their safe state. A dead lamp or buzzer is not worth that (nor, in a fire, a locked
        // turnstile): the gate is reported degraded and goes on.
        if (line === 'unlock') throw err;
        if (!failingOutputs.has(line)) {
          this.#log.error({ err, gateId, line }, 'gate output failing; the gate goes on without it');
          failingOutputs.set(line, err instanceof Error ? err.message : String(err));
          this.#health(gate);
        }
        return;
      }
      if (failingOutputs.delete(line)) {
        this.#log.info({ gateId, line }, 'gate output works again');
        this.#health(gate);
      }
    };
    const actor = createGateActor(
      { gateId, role: config.role, profile, write },
      (request, signal) =>
        authorise(request, signal).catch((err: unknown) => {
          // The scan itself stays out of the log: it may be someone's entry token.
          this.#log.error({ err, gateId, credentialKind: request.credentialKind }, 'could not decide a scan');
          throw err;
        }),
      clock,
    );
    for (const type of ['passage', 'denied', 'alarm', 'walkAway'] as const)
      actor.on(type, (e) => this.#onGate(e as GateEmitted));
    const gate: RunningGate = {
      config,
      profile,
      chip,
      lines,
      actor,
      stopWatching: () => {},
      failingOutputs,
      reported: '',
    };
    this.#gates.set(gateId, gate);
    actor.subscribe({
      error: (err) => {
        this.#log.error({ err, gateId }, 'gate machine failed; its outputs fall to their safe state');
        this.#failSafe(gate);
        // A fire outranks a failed gate's fail-secure level: its lock is held open until the reset.
        if (inEmergency(store.getSnapshot())) this.#holdOpen(gate);
        this.#report({
          deviceId: gateId,
          deviceKind: 'gate',
          status: 'offline',
          reason: 'internal error; outputs in their safe state; see the hub log',
        });
      },
    });
    actor.start();
    const send = (line: InputLine, level: Level) => {
      if (line === 'fireAlarm') store.send({ type: 'fire', gateId, active: level === 1 });
      if (actor.getSnapshot().status === 'active') actor.send({ type: 'input', line, level });
    };
    gate.stopWatching = lines.watch(send);
    if (inEmergency(store.getSnapshot())) actor.send({ type: 'emergency', active: true });
    // Inputs already active (a beam broken, the fire alarm on) count from the start; a fire input
    // that is off is reported too, so the store knows the alarm is over.
    for (const { line, level } of lines.levels()) if (level === 1 || line === 'fireAlarm') send(line, level);
    if (actor.getSnapshot().status !== 'active') return;
    this.#health(gate);
  }

  /** A scanner standing at `gateId` read something. */
  scan(gateId: string, credentialKind: CredentialKind, scan: Scan): void {
    this.#gates.get(gateId)?.actor.send({ type: 'scan', credentialKind, scan });
  }

  /**
   * Opens a gate without a credential (a technician's test, the cloud's command): an entry gate for
   * `party` people of a new trip started by `startTrip`, an exit gate for one person going out.
   */
  unlock(
    gateId: string,
    party: number,
    startTrip: () => string,
  ): { direction: 'in' | 'out'; tripId?: string } {
    const gate = this.#gates.get(gateId);
    if (!gate) throw new GateRefusal('unknown_gate', `no gate "${gateId}"`);
    const state = gateStateOf(gate.actor.getSnapshot());
    if (state === 'emergency')
      throw new GateRefusal('emergency', `${gateId} is already open for the emergency`);
    if (state === 'free') throw new GateRefusal('gate_busy', `${gateId} is a free exit: it is open already`);
    // A lights test gives way, as it does to a shopper's scan.
    if (state !== 'locked' && state !== 'denying' && !state.startsWith('testingSignals'))
      throw new GateRefusal('gate_busy', `${gateId} is ${state}; try again once it is locked`);
    if (gate.config.role === 'exit') {
      gate.actor.send({ type: 'grant', direction: 'out', party: 1 });
      return { direction: 'out' };
    }
    const tripId = startTrip();
    gate.actor.send({ type: 'grant', direction: 'in', party, tripId });
    return { direction: 'in', tripId };
  }

  /**
   * Runs a locked gate's lights-and-buzzer test (two seconds: green, then red with the buzzer); the
   * gate stays locked and goes back to waiting after.
   */
  testSignals(gateId: string): void {
    const gate = this.#gates.get(gateId);
    if (!gate) throw new GateRefusal('unknown_gate', `no gate "${gateId}"`);
    const state = gateStateOf(gate.actor.getSnapshot());
    if (state !== 'locked')
      throw new GateRefusal('gate_busy', `${gateId} is ${state}; its lights can be tested once it is locked`);
    gate.actor.send({ type: 'signals.test' });
  }

  /** Each gate's state, counts and alarms, for `hub.status` and diagnostics. */
  report() {
    return [...this.#gates.values()].map(({ config, actor }) => {
      const { context } = actor.getSnapshot();
      return {
        gateId: config.id,
        role: config.role,
        state: gateStateOf(actor.getSnapshot()),
        alarms: Object.keys(context.alarms),
        counts: context.counts,
        ...(context.opening ? { opening: shownOpening(context.opening) } : {}),
      };
    });
  }

  /** Stops every machine and brings every output to its safe level, releasing the lines. Never throws. */
  stop(): void {
    for (const gate of this.#gates.values()) {
      gate.stopWatching();
      gate.actor.send({ type: 'close' });
      try {
        gate.chip.close();
      } catch (err) {
        this.#log.error({ err, gateId: gate.config.id }, 'could not bring a gate to its safe state');
      }
    }
    this.#gates.clear();
  }

  /** Writes every output's safe level at once, synchronously: for a crash or an exit handler. Never throws. */
  failSafe(): void {
    for (const gate of this.#gates.values()) this.#failSafe(gate);
  }

  #failSafe(gate: RunningGate | undefined): void {
    if (!gate) return;
    try {
      gate.chip.failSafe();
    } catch (err) {
      this.#log.error({ err, gateId: gate.config.id }, 'could not bring a gate to its safe state');
    }
  }

  #everyGate(event: { type: 'emergency'; active: boolean }): void {
    for (const gate of this.#gates.values()) {
      if (!failed(gate)) gate.actor.send(event);
      else if (event.active) this.#holdOpen(gate);
      else this.#failSafe(gate);
    }
  }

  /** A failed gate's lock opened for an emergency; what cannot be written is logged. */
  #holdOpen(gate: RunningGate): void {
    try {
      gate.lines.write('unlock', 1);
    } catch (err) {
      this.#log.error({ err, gateId: gate.config.id }, 'could not open a failed gate for the emergency');
    }
  }

  /** Reports the gate's health when it changed: degraded while an output fails or a beam is stuck. */
  #health(gate: RunningGate): void {
    const snapshot = gate.actor.getSnapshot();
    if (snapshot.status !== 'active') return;
    const problems = [...gate.failingOutputs].map(([line, message]) => `${line} output failing: ${message}`);
    // A beam stuck broken raises input_fault; the other beam then counts alone, blind to the way.
    if (snapshot.context.alarms.input_fault)
      problems.unshift('a beam is stuck broken: the other counts people alone and cannot tell their way');
    const status = problems.length > 0 ? 'degraded' : 'online';
    const reason = problems.length > 0 ? problems.join('; ') : 'ready';
    if (gate.reported === `${status} ${reason}`) return;
    gate.reported = `${status} ${reason}`;
    this.#report({ deviceId: gate.config.id, deviceKind: 'gate', status, reason });
  }

  #onGate(e: GateEmitted): void {
    const { store } = this.#opts;
    switch (e.type) {
      case 'passage':
        store.send({
          type: 'passage',
          gateId: e.gateId,
          direction: e.direction,
          ...(e.tripId ? { tripId: e.tripId } : {}),
        });
        return;
      case 'walkAway':
        if (e.tripId) store.send({ type: 'walkAway', tripId: e.tripId });
        return;
      case 'denied': {
        const { type: _type, ...data } = e;
        this.#opts.onDenied(data);
        return;
      }
      case 'alarm': {
        const { type: _type, ...data } = e;
        this.#opts.onAlarm(data);
        const gate = this.#gates.get(e.gateId);
        if (gate && e.alarm === 'input_fault') this.#health(gate);
        return;
      }
    }
  }
}
