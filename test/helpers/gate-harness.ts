// A gate machine on a fake clock with its outputs recorded and its authoriser under the test's hand.
import { join } from 'node:path';
import { loadGateProfile } from '../../src/drivers/gpio/gate-profile.js';
import type { Level } from '../../src/drivers/gpio/port.js';
import type { Scan } from '../../src/drivers/scanner/port.js';
import {
  type AuthoriseRequest,
  createGateActor,
  type Decision,
  type GateEmitted,
  type GateInput,
  gateStateOf,
  type InputLine,
} from '../../src/machines/gate.js';
import { FakeClock } from '../../src/system/clock.js';
import { Secret } from '../../src/system/secret.js';

export const profile = (name: string) =>
  loadGateProfile(join(import.meta.dirname, '../../devices', `${name}.yaml`));

interface Asked {
  request: AuthoriseRequest;
  signal: AbortSignal;
  answer: (decision: Decision) => void;
  fail: (err: Error) => void;
}

export function gateUnderTest(options: Partial<Pick<GateInput, 'role' | 'profile'>> = {}) {
  const clock = new FakeClock();
  const outputs: Record<string, Level> = {};
  const writes: string[] = [];
  const asked: Asked[] = [];
  const emitted: GateEmitted[] = [];
  const actor = createGateActor(
    {
      gateId: 'gate-in',
      role: options.role ?? 'entry',
      profile: options.profile ?? profile('gate-swing'),
      write: (line, level) => {
        outputs[line] = level;
        writes.push(`${clock.now()} ${line}=${level}`);
      },
    },
    (request, signal) =>
      new Promise<Decision>((answer, fail) => asked.push({ request, signal, answer, fail })),
    clock,
  );
  for (const type of ['passage', 'denied', 'alarm', 'fire', 'walkAway'] as const)
    actor.on(type, (e) => emitted.push(e as GateEmitted));
  actor.start();
  const input = (line: InputLine, level: Level) => actor.send({ type: 'input', line, level });
  const gate = {
    clock,
    actor,
    outputs,
    writes,
    asked,
    emitted,
    state: () => gateStateOf(actor.getSnapshot()),
    scan: (code: string, credentialKind: 'qr' | 'palm' = 'qr', problem?: Scan['problem']) =>
      actor.send({
        type: 'scan',
        credentialKind,
        scan: { credential: new Secret(code), at: clock.now(), ...(problem ? { problem } : {}) },
      }),
    input,
    /** One person walks through the lane: the near beam, both, the far beam, clear. */
    walk: (direction: 'in' | 'out') => {
      const [near, far] =
        direction === 'in' ? (['beamOuter', 'beamInner'] as const) : (['beamInner', 'beamOuter'] as const);
      input(near, 1);
      input(far, 1);
      input(near, 0);
      input(far, 0);
    },
    /** Lets the authoriser's answer reach the machine. */
    answer: async (decision: Decision, which = asked.length - 1) => {
      asked[which]?.answer(decision);
      await new Promise((resolve) => setImmediate(resolve));
    },
    of: <T extends GateEmitted['type']>(type: T) =>
      emitted.filter((e): e is Extract<GateEmitted, { type: T }> => e.type === type),
  };
  return gate;
}
