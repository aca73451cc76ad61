// A gate's machine on its GPIO chip: every line of the profile opened with its polarity, debounce and
// safe level; inputs sent to the machine as they change, the machine's writes put on the outputs.
import type { GateProfile } from '../drivers/gpio/gate-profile.js';
import type { GpioChip, GpioLine, Level } from '../drivers/gpio/port.js';
import type { InputLine, OutputLine } from './gate.js';

/** The level an output falls to when the hub is gone: the lock per the profile's fail mode, the rest off. */
export function safeLevelOf(profile: GateProfile, line: OutputLine): Level {
  return line === 'unlock' && profile.failMode === 'safe' ? 1 : 0;
}

export interface GateLines {
  /** Drives an output by name; an output the profile lacks is ignored. */
  write(line: OutputLine, level: Level): void;
  /** Every input's level now, to start the machine from what the wires say. */
  levels(): Array<{ line: InputLine; level: Level }>;
  /** Starts telling `listener` about every input change; returns the unsubscribe function. */
  watch(listener: (line: InputLine, level: Level) => void): () => void;
}

/** Opens the profile's lines on `chip`; throws (after releasing what it opened) when a line cannot be opened. */
export function openGateLines(chip: GpioChip, profile: GateProfile): GateLines {
  const outputs = new Map<OutputLine, GpioLine>();
  const inputs = new Map<InputLine, GpioLine>();
  try {
    for (const [name, spec] of Object.entries(profile.outputs) as Array<[OutputLine, { activeLow: boolean }]>)
      outputs.set(
        name,
        chip.open({
          name,
          direction: 'out',
          activeLow: spec.activeLow,
          safeLevel: safeLevelOf(profile, name),
        }),
      );
    for (const [name, spec] of Object.entries(profile.inputs) as Array<
      [InputLine, { activeLow: boolean; debounceMs: number }]
    >)
      inputs.set(
        name,
        chip.open({ name, direction: 'in', activeLow: spec.activeLow, debounceMs: spec.debounceMs }),
      );
  } catch (err) {
    for (const line of [...outputs.values(), ...inputs.values()]) line.close();
    throw err;
  }
  return {
    write: (line, level) => outputs.get(line)?.write(level),
    levels: () => [...inputs].map(([line, gpio]) => ({ line, level: gpio.read() })),
    watch: (listener) => {
      const stops = [...inputs].map(([line, gpio]) => gpio.watch((level) => listener(line, level)));
      return () => {
        for (const stop of stops) stop();
      };
    },
  };
}
